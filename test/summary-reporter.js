// Ends the run with one plain line that any CI log reader understands: "tests: N passed, N failed".
// npm test runs the fuzzer after Jest, so the line is also written to CTICLOUD_TEST_SUMMARY for
// scripts/test.sh to print again as the very last line of the whole run.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\n${line}\n`);
    // Jest's own wording and spacing too, for readers that look for it.
    const jestLine = `Tests:       ${failed ? `${failed} failed, ` : ''}${results.numPassedTests} passed, ${results.numTotalTests} total`;
    if (process.env.CTICLOUD_TEST_SUMMARY) {
      fs.writeFileSync(process.env.CTICLOUD_TEST_SUMMARY, `${jestLine}\n${line}\n`);
    }
  }
}
module.exports = SummaryReporter;
