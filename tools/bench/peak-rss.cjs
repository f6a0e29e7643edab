// Preloaded (node -r) into a process the bench measures: at exit, writes to the file named by
// AGENTSTACK_BENCH_RSS_FILE the process's peak resident set size (getrusage ru_maxrss, KiB) and the
// CPU time it used (user + system, microseconds), as JSON.
const file = process.env.AGENTSTACK_BENCH_RSS_FILE;
if (file) {
    process.on("exit", () => {
        const u = process.resourceUsage();
        require("fs").writeFileSync(
            file,
            JSON.stringify({ maxRSS: u.maxRSS, cpuMicros: u.userCPUTime + u.systemCPUTime }),
        );
    });
}
