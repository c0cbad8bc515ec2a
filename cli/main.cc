// peermatch: the command-line tool for coordinators and operators.
//
//   peermatch [--target HOST:PORT] [--deadline-ms N] [--output json|table]
//             [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
//             [--token TOKEN] <command> [args]
//
// Global flags also come from PEERMATCH_TARGET, PEERMATCH_DEADLINE_MS,
// PEERMATCH_OUTPUT, PEERMATCH_TLS_CA and PEERMATCH_TOKEN. `peermatch help`
// lists the commands. Exit statuses are in cli/command.h.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/coord_cmd.h"
#include "cli/jobs_cmd.h"
#include "cli/members_cmd.h"
#include "cli/plan_cmd.h"
#include "cli/rpc.h"
#include "cli/solve_cmd.h"

namespace peermatch::cli {
namespace {

int RunHelp(const GlobalOptions&, const std::vector<std::string>&);

// Subcommands. Offline ones (solve, plan) ignore the connection flags.
const Command kCommands[] = {
    {"help", "help                       this list", RunHelp},
    {"health", "health [--service NAME]    SERVING or NOT_SERVING (exit 1)",
     RunHealth},
    {"members",
     "members get|list|upsert|delete|import --pool POOL ...   member sync",
     RunMembers},
    {"match",
     "match run|publish|discard|manual --pool POOL ...   batch runs, "
     "publishing, manual matches (run --wait: as a job, with progress)",
     RunMatch},
    {"matches",
     "matches list|get|respond|end --pool POOL ...   read and answer matches",
     RunMatches},
    {"recommend", "recommend --pool POOL --mentee ID [--k N]   top mentors",
     RunRecommend},
    {"explain", "explain --pool POOL --mentee ID --mentor ID   a pair's score",
     RunExplain},
    {"settings", "settings get|update --pool POOL [JSON|-]   pool settings",
     RunSettings},
    {"stats", "stats --pool POOL          pool statistics", RunStats},
    {"groups",
     "groups form|publish|list|get|join --pool POOL ...   support groups "
     "(form --wait: as a job, with progress)",
     RunGroups},
    {"regroup",
     "regroup --pool POOL [--full]   a GROUPS job, followed until it ends",
     RunRegroup},
    {"jobs",
     "jobs start|get|list|cancel|watch --pool POOL ...   batch jobs "
     "(start --wait follows one)",
     RunJobs},
    {"call", "call Service/Method [JSON|-]   any unary RPC, JSON in and out",
     RunCall},
    {"plan",
     "plan --members FILE.jsonl [--settings FILE.json] [--reference-time "
     "RFC3339]   offline what-if",
     RunPlan},
    {"solve", "solve [FILE]               stable matching of rank lists",
     RunSolve},
};

int RunHelp(const GlobalOptions&, const std::vector<std::string>&) {
  std::printf(
      "usage: peermatch [--target HOST:PORT] [--deadline-ms N] "
      "[--output json|table] [--tls-ca FILE [--tls-cert FILE --tls-key "
      "FILE]] [--token TOKEN] <command> "
      "[args]\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %s\n", c.usage);
  return kExitOk;
}

const char* Env(const char* name, const char* def) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : def;
}

int Main(int argc, char** argv) {
  GlobalOptions options;
  options.target = Env("PEERMATCH_TARGET", options.target.c_str());
  options.deadline_ms = std::atoi(Env("PEERMATCH_DEADLINE_MS", "10000"));
  options.output = Env("PEERMATCH_OUTPUT", "table");
  options.tls_ca = Env("PEERMATCH_TLS_CA", "");
  options.tls_cert = Env("PEERMATCH_TLS_CLIENT_CERT", "");
  options.tls_key = Env("PEERMATCH_TLS_CLIENT_KEY", "");
  options.token = Env("PEERMATCH_TOKEN", "");
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
    std::string flag = argv[i] + 2;
    std::string value;
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "help") {
      return RunHelp(options, {});
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return UsageError("flag --" + flag + " needs a value");
    }
    if (flag == "target") {
      options.target = value;
    } else if (flag == "deadline-ms") {
      options.deadline_ms = std::atoi(value.c_str());
    } else if (flag == "output") {
      options.output = value;
    } else if (flag == "tls-ca") {
      options.tls_ca = value;
    } else if (flag == "tls-cert") {
      options.tls_cert = value;
    } else if (flag == "tls-key") {
      options.tls_key = value;
    } else if (flag == "token") {
      options.token = value;
    } else {
      return UsageError("unknown flag --" + flag);
    }
  }
  if (options.output != "json" && options.output != "table") {
    return UsageError("--output must be json or table");
  }
  if (options.deadline_ms <= 0) {
    return UsageError("--deadline-ms must be a positive integer");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return UsageError("--tls-cert and --tls-key go together");
  }
  if (!options.tls_cert.empty() && options.tls_ca.empty()) {
    return UsageError(
        "--tls-cert needs --tls-ca (a client certificate is "
        "only sent over TLS)");
  }
  for (const std::string* file :
       {&options.tls_ca, &options.tls_cert, &options.tls_key}) {
    if (!file->empty() && !std::ifstream(*file).good()) {
      return UsageError("cannot read " + *file);
    }
  }
  if (i >= argc) return UsageError("missing command (see: peermatch help)");
  std::string name = argv[i];
  std::vector<std::string> args(argv + i + 1, argv + argc);
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(options, args);
  }
  return UsageError("unknown command " + name + " (see: peermatch help)");
}

}  // namespace
}  // namespace peermatch::cli

int main(int argc, char** argv) { return peermatch::cli::Main(argc, argv); }
