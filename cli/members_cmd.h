// `peermatch health` and `peermatch members ...` subcommands.
#ifndef PEERMATCH_CLI_MEMBERS_CMD_H_
#define PEERMATCH_CLI_MEMBERS_CMD_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace peermatch::cli {

int RunHealth(const GlobalOptions& options,
              const std::vector<std::string>& args);
int RunMembers(const GlobalOptions& options,
               const std::vector<std::string>& args);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_MEMBERS_CMD_H_
