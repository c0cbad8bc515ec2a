// JSON string literals as protobuf's JSON printer writes them, for output
// the CLI writes by hand where protobuf's printer costs too much (`solve`,
// R-PERF): the same escapes, so every JSON the CLI prints reads alike.
// tests/cli/json_string_test.cc checks it against protobuf's printer on
// every ASCII character and on multi-byte UTF-8.
#ifndef PEERMATCH_CLI_JSON_STRING_H_
#define PEERMATCH_CLI_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace peermatch::cli {

// Appends `s` (valid UTF-8) quoted and escaped.
void AppendJsonString(absl::string_view s, std::string* out);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_JSON_STRING_H_
