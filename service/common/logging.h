// Structured logging: one JSON object per line on stderr (SPEC §10 R-OPS).
//
//   LOG_INFO("member upserted", {{"pool", pool}, {"member", id},
//                                {"version", version}});
//   // {"ts":"2026-11-26T15:49:05.123Z","level":"info",
//   //  "msg":"member upserted","pool":"p1","member":"m-17","version":3}
//
// Privacy (R-SEC): a log line may carry pool ids, member ids, request ids,
// counts, codes and durations — never profile content (triggers, interests,
// stage, availability, free text), tokens or secrets. Fields are therefore
// restricted to these kinds by the `LogField` constructors; callers pass ids
// and numbers, not profiles. Status messages produced by validation name field
// paths but never echo values.
//
// Thread-safe: each line is written with a single write(2).
#ifndef PEERMATCH_SERVICE_COMMON_LOGGING_H_
#define PEERMATCH_SERVICE_COMMON_LOGGING_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace peermatch {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn", "error". Returns false on anything else.
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Lines below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// One key/value of a log line. Strings are JSON-escaped.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value);
  LogField(absl::string_view key, const char* value);
  LogField(absl::string_view key, const std::string& value);
  LogField(absl::string_view key, int64_t value);
  LogField(absl::string_view key, int value);
  LogField(absl::string_view key, uint64_t value);
  LogField(absl::string_view key, double value);
  LogField(absl::string_view key, bool value);
  LogField(absl::string_view key, absl::Duration value);  // as "ms" float

  const std::string& rendered() const { return rendered_; }

 private:
  std::string rendered_;  // "\"key\":value"
};

// Writes one line when `level` is enabled.
void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

// Renders the JSON line without writing it (for tests).
std::string RenderLogLine(absl::Time now, LogLevel level,
                          absl::string_view message,
                          std::initializer_list<LogField> fields);

// Appends `text` JSON-escaped (without quotes) to `out`.
void AppendJsonEscaped(absl::string_view text, std::string* out);

}  // namespace peermatch

#define LOG_DEBUG(...) \
  ::peermatch::Log(::peermatch::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) \
  ::peermatch::Log(::peermatch::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) \
  ::peermatch::Log(::peermatch::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERROR(...) \
  ::peermatch::Log(::peermatch::LogLevel::kError, __VA_ARGS__)

#endif  // PEERMATCH_SERVICE_COMMON_LOGGING_H_
