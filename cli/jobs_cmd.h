// `peermatch jobs ...`: coordinator batch jobs (SPEC §7, §8; R-JOBS).
//
//   peermatch jobs start --pool P --kind MENTOR_MATCHING|GROUPS|BOTH
//       [--idempotency-key K] [--max-candidates N] [--incremental]
//       [--mentor-proposing] [--full] [--time-budget-ms N]
//       [--reference-time RFC3339] [--wait]
//   peermatch jobs get --pool P JOB_ID
//   peermatch jobs list --pool P [--page-size N] [--page-token T] [--all]
//   peermatch jobs cancel --pool P JOB_ID
//   peermatch jobs watch --pool P JOB_ID
//
// `--wait` and `watch` follow the job with WatchJob, showing the phase and a
// progress bar on stderr (one line per phase when stderr is not a
// terminal), re-watching when a stream ends early (the server's cap, a
// replica shutting down), and print the final job on stdout. Exit status:
// 0 SUCCEEDED (and for start without --wait, get, list, cancel: the call
// succeeded); 3 the job ended FAILED or CANCELLED; 1 a call failed; 2 bad
// usage.
#ifndef PEERMATCH_CLI_JOBS_CMD_H_
#define PEERMATCH_CLI_JOBS_CMD_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace peermatch::cli {

int RunJobs(const GlobalOptions& options, const std::vector<std::string>& args);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_JOBS_CMD_H_
