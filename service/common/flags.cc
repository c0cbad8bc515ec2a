#include "service/common/flags.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace peermatch {

void FlagSet::Define(std::string name, std::string default_value,
                     std::string help) {
  Flag f{default_value, default_value, std::move(help)};
  flags_[std::move(name)] = std::move(f);
}

std::string FlagSet::EnvName(absl::string_view name) {
  return absl::StrCat("PEERMATCH_", absl::AsciiStrToUpper(absl::StrReplaceAll(
                                        name, {{"-", "_"}})));
}

absl::Status FlagSet::Parse(int argc, const char* const* argv,
                            const EnvLookup& env) {
  if (env) {
    for (auto& [name, flag] : flags_) {
      const char* v = env(EnvName(name).c_str());
      if (v != nullptr) flag.value = v;
    }
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument at position ", i));
    }
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    }
    it->second.value = std::move(value);
  }
  return absl::OkStatus();
}

const std::string& FlagSet::Get(absl::string_view name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) std::abort();  // programming error
  return it->second.value;
}

absl::StatusOr<int64_t> FlagSet::GetInt(absl::string_view name, int64_t min,
                                        int64_t max) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(name), &v) || v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "flag --", name, " must be an integer in [", min, ", ", max, "]"));
  }
  return v;
}

absl::StatusOr<bool> FlagSet::GetBool(absl::string_view name) const {
  bool v = false;
  if (!absl::SimpleAtob(Get(name), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", name, " must be true or false"));
  }
  return v;
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " [flags]\n");
  for (const auto& [name, flag] : flags_) {
    absl::StrAppend(&out, "  --", name, " (env ", EnvName(name), ", default \"",
                    flag.default_value, "\")\n      ", flag.help, "\n");
  }
  return out;
}

}  // namespace peermatch
