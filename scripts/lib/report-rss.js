// Preloaded by the bench into each measured process: writes its peak resident memory (KiB) when it exits.
const fs = require("fs");
process.on("exit", () => {
    if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
