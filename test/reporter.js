// Mocha's dot reporter, closed by one plain summary line ("N passed, N failed, N skipped") that CI systems read.
const Mocha = require("mocha");

class DotWithSummary extends Mocha.reporters.Dot {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            process.stdout.write(`${passes} passed, ${failures} failed, ${pending} skipped\n`);
        });
    }
}

module.exports = DotWithSummary;
