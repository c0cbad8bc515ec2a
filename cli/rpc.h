// Shared plumbing of the CLI's RPC subcommands: the channel, per-call
// contexts with deadline and token, printing of results and errors, and a
// small flag parser for subcommand arguments.
#ifndef PEERMATCH_CLI_RPC_H_
#define PEERMATCH_CLI_RPC_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace peermatch::cli {

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& options);

// A context with the global deadline and, when set, the bearer token.
std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options);

// Prints "error: CODE: message" (plus BadRequest field violations) to stderr
// and returns kExitCallFailed.
int ReportError(const grpc::Status& status);

// Protobuf's JSON mapping with the SPEC's field names, one line.
std::string ToJson(const google::protobuf::Message& message);

// Subcommand arguments: `--name value` / `--name=value` flags and
// positionals. Unknown flags are an error (kExitUsage).
class Args {
 public:
  // `known` lists the flag names the subcommand accepts; `boolean` the ones
  // that take no value.
  static bool Parse(const std::vector<std::string>& args,
                    const std::vector<std::string>& known,
                    const std::vector<std::string>& boolean, Args* out,
                    std::string* error);

  bool Has(const std::string& name) const { return flags_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positional_;
};

// Prints `message` to stderr as "peermatch: <message>" and returns
// kExitUsage.
int UsageError(const std::string& message);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_RPC_H_
