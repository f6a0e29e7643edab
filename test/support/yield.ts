/**
 * Setup file (vitest.config.ts): every test ends by letting the event loop run a full turn.
 *
 * Why: a test worker reports results to the main process over vitest's birpc channel, whose calls time
 * out after 60 s (vitest 3.2.x: DEFAULT_TIMEOUT of birpc, "[vitest-worker]: Timeout calling
 * onTaskUpdate"; vitest 4 removed the timeout, vitest-dev/vitest#8297). The answer is read in the
 * poll phase of the worker's event loop — but most of what these tests do never reaches it: the
 * program under Pulumi's mocks runs on promise callbacks alone, and spawnSync blocks the loop. A test
 * file that keeps the loop that busy for a minute (a loaded machine, two workers on two cores) leaves
 * the answer unread until the 60 s timer has fired: the run fails although every test passed. A full
 * turn after each test (two setImmediate callbacks: a poll phase lies between them) reads the pending
 * answers, so only a single test running for a minute could still hit the timeout.
 */
import { afterEach } from "vitest";

// The real setImmediate, taken before any test could install fake timers.
const immediate = globalThis.setImmediate;
const turn = () => new Promise<void>((resolve) => immediate(() => resolve()));

afterEach(async () => {
    await turn();
    await turn();
});
