import { defineConfig } from "vitest/config";
import SummaryReporter from "./tools/vitest-summary";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        environment: "node",
        pool: "forks",
        // Two cores: two test files at a time (each runs the program in its own process).
        poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        // Each test ends with a full turn of the event loop, so that the worker reads the main process's
        // answers while a file runs (see test/support/yield.ts: "Timeout calling onTaskUpdate" under load).
        setupFiles: ["test/support/yield.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        reporters: ["default", new SummaryReporter()],
    },
});
