import { defineConfig } from "vitest/config";
import SummaryReporter from "./tools/vitest-summary";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        environment: "node",
        pool: "forks",
        // Two cores: two test files at a time (each runs the program in its own process).
        poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        testTimeout: 60_000,
        hookTimeout: 120_000,
        reporters: ["default", new SummaryReporter()],
    },
});
