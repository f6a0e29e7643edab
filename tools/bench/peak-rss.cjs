// Preloaded (node -r) into a process the bench measures: at exit, writes the process's peak resident
// set size (getrusage ru_maxrss, kilobytes) to the file named by AGENTSTACK_BENCH_RSS_FILE.
const file = process.env.AGENTSTACK_BENCH_RSS_FILE;
if (file) process.on("exit", () => require("fs").writeFileSync(file, String(process.resourceUsage().maxRSS)));
