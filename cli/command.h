// The `peermatch` command-line tool: subcommands register here.
//
//   peermatch [global flags] <command> [args]
//
// Each subcommand is a function from its arguments to an exit status, so
// adding one is a line in main.cc's table. Exit statuses (documented in the
// README): 0 success; 1 the call failed (the gRPC status is printed); 2 bad
// usage or bad input (nothing on stdout); 3 a job finished FAILED or
// CANCELLED; 4 partial success (e.g. an import with rejected lines).
#ifndef PEERMATCH_CLI_COMMAND_H_
#define PEERMATCH_CLI_COMMAND_H_

#include <string>
#include <vector>

namespace peermatch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCallFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitJobFailed = 3;
inline constexpr int kExitPartial = 4;

// Options shared by every RPC subcommand.
struct GlobalOptions {
  std::string target = "127.0.0.1:50051";  // --target, PEERMATCH_TARGET
  int deadline_ms = 10000;                 // --deadline-ms
  std::string output = "table";            // --output json|table
  std::string tls_ca;                      // --tls-ca: use TLS, trust this CA
  // --tls-cert / --tls-key: a client certificate for mutual TLS (servers
  // started with --tls-client-ca); PEERMATCH_TLS_CLIENT_CERT / _KEY.
  std::string tls_cert;
  std::string tls_key;
  std::string token;  // --token / PEERMATCH_TOKEN
};

struct Command {
  const char* name;
  const char* usage;  // one line, shown by `peermatch help`
  int (*run)(const GlobalOptions& options,
             const std::vector<std::string>& args);
};

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_COMMAND_H_
