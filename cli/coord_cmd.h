// Coordinator and platform subcommands of `peermatch` beyond member sync:
// matching, matches, recommendations, pool settings and statistics, and a
// generic `call` that reaches every unary RPC of the v1 API by name.
#ifndef PEERMATCH_CLI_COORD_CMD_H_
#define PEERMATCH_CLI_COORD_CMD_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace peermatch::cli {

// match run|publish|discard|manual
int RunMatch(const GlobalOptions& options,
             const std::vector<std::string>& args);
// matches list|get|respond|end
int RunMatches(const GlobalOptions& options,
               const std::vector<std::string>& args);
// recommend --pool P --mentee E [--k N]
int RunRecommend(const GlobalOptions& options,
                 const std::vector<std::string>& args);
// explain --pool P --mentee E --mentor M
int RunExplain(const GlobalOptions& options,
               const std::vector<std::string>& args);
// settings get|update --pool P [JSON]
int RunSettings(const GlobalOptions& options,
                const std::vector<std::string>& args);
// stats --pool P
int RunStats(const GlobalOptions& options,
             const std::vector<std::string>& args);
// groups form|publish|list|get|join
// regroup --pool POOL [--full] [--time-budget-ms N] [--idempotency-key K]
// [--reference-time T]: a GROUPS job, followed until it ends (exit 3 when it
// ends FAILED or CANCELLED).
int RunRegroup(const GlobalOptions& options,
               const std::vector<std::string>& args);
int RunGroups(const GlobalOptions& options,
              const std::vector<std::string>& args);
// call Service/Method [JSON|-]: any unary RPC, request and response as JSON.
int RunCall(const GlobalOptions& options, const std::vector<std::string>& args);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_COORD_CMD_H_
