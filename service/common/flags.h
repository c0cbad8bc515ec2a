// Command-line flags with environment-variable equivalents (SPEC §10 R-OPS):
// `--flag-name` is read from `PEERMATCH_FLAG_NAME` when not given on the
// command line. Precedence: command line, then environment, then default.
//
//   FlagSet flags("peermatchd");
//   flags.Define("listen", "0.0.0.0:50051", "gRPC address");
//   flags.Define("worker-threads", "8", "executor threads");
//   absl::Status s = flags.Parse(argc, argv, getenv);
//   std::string listen = flags.Get("listen");
//   absl::StatusOr<int64_t> threads = flags.GetInt("worker-threads", 1, 256);
//
// Both `--name=value` and `--name value` are accepted. An unknown flag or a
// positional argument is INVALID_ARGUMENT. Values never reach logs verbatim
// (they may hold Redis passwords).
#ifndef PEERMATCH_SERVICE_COMMON_FLAGS_H_
#define PEERMATCH_SERVICE_COMMON_FLAGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peermatch {

class FlagSet {
 public:
  using EnvLookup = std::function<const char*(const char*)>;

  explicit FlagSet(std::string program) : program_(std::move(program)) {}

  void Define(std::string name, std::string default_value, std::string help);

  // Parses argv[1..]. `env` may be null (no environment). When `--help` is
  // given, help_requested() becomes true and parsing stops OK.
  absl::Status Parse(int argc, const char* const* argv, const EnvLookup& env);

  // The flag's value. The flag must have been defined.
  const std::string& Get(absl::string_view name) const;
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t min,
                                 int64_t max) const;
  absl::StatusOr<bool> GetBool(absl::string_view name) const;

  bool help_requested() const { return help_requested_; }
  std::string Usage() const;

  // "PEERMATCH_" + upper-case name with '-' turned into '_'.
  static std::string EnvName(absl::string_view name);

 private:
  struct Flag {
    std::string value;
    std::string default_value;
    std::string help;
  };
  std::string program_;
  std::map<std::string, Flag, std::less<>> flags_;
  bool help_requested_ = false;
};

}  // namespace peermatch

#endif  // PEERMATCH_SERVICE_COMMON_FLAGS_H_
