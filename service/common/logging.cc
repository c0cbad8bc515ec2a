#include "service/common/logging.h"

#include <unistd.h>

#include <atomic>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace peermatch {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string Key(absl::string_view key) {
  std::string out = "\"";
  AppendJsonEscaped(key, &out);
  out += "\":";
  return out;
}

}  // namespace

bool ParseLogLevel(absl::string_view text, LogLevel* level) {
  for (LogLevel l :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void SetLogLevel(LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel GetLogLevel() {
  return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}

void AppendJsonEscaped(absl::string_view text, std::string* out) {
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
}

LogField::LogField(absl::string_view key, absl::string_view value)
    : rendered_(Key(key)) {
  rendered_ += '"';
  AppendJsonEscaped(value, &rendered_);
  rendered_ += '"';
}
LogField::LogField(absl::string_view key, const char* value)
    : LogField(key, absl::string_view(value)) {}
LogField::LogField(absl::string_view key, const std::string& value)
    : LogField(key, absl::string_view(value)) {}
LogField::LogField(absl::string_view key, int64_t value)
    : rendered_(absl::StrCat(Key(key), value)) {}
LogField::LogField(absl::string_view key, int value)
    : rendered_(absl::StrCat(Key(key), value)) {}
LogField::LogField(absl::string_view key, uint64_t value)
    : rendered_(absl::StrCat(Key(key), value)) {}
LogField::LogField(absl::string_view key, double value) : rendered_(Key(key)) {
  if (std::isfinite(value)) {
    absl::StrAppendFormat(&rendered_, "%.6g", value);
  } else {
    rendered_ += "null";
  }
}
LogField::LogField(absl::string_view key, bool value)
    : rendered_(absl::StrCat(Key(key), value ? "true" : "false")) {}
LogField::LogField(absl::string_view key, absl::Duration value)
    : rendered_(Key(key)) {
  absl::StrAppendFormat(&rendered_, "%.3f", absl::ToDoubleMilliseconds(value));
}

std::string RenderLogLine(absl::Time now, LogLevel level,
                          absl::string_view message,
                          std::initializer_list<LogField> fields) {
  std::string line = absl::StrCat(
      "{\"ts\":\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()),
      "\",\"level\":\"", LevelName(level), "\",\"msg\":\"");
  AppendJsonEscaped(message, &line);
  line += '"';
  for (const LogField& f : fields) {
    line += ',';
    line += f.rendered();
  }
  line += "}\n";
  return line;
}

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line = RenderLogLine(absl::Now(), level, message, fields);
  // One write(2) per line keeps lines whole across threads.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace peermatch
