// A Redis command as an argument vector, sent with `redisAppendCommandArgv`
// (never printf-style formatting, so user data cannot change the command):
//
//   Command get({"HGET", keys::Member(pool, id), "v"});
//   Command xadd({"XADD", keys::Feed(pool), "*", "id", id});
//   xadd.AddInt(version);
//
// Arguments are binary-safe byte strings. Cheap to move; copying copies every
// argument. Not thread-safe for concurrent mutation (it is a value).
#ifndef PEERMATCH_SERVICE_STORE_COMMAND_H_
#define PEERMATCH_SERVICE_STORE_COMMAND_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace peermatch::store {

class Command {
 public:
  Command() = default;
  Command(std::initializer_list<absl::string_view> args) {
    args_.reserve(args.size());
    for (absl::string_view a : args) args_.emplace_back(a);
  }

  // Appends one argument; returns *this for chaining.
  Command& Add(absl::string_view arg) {
    args_.emplace_back(arg);
    return *this;
  }
  Command& Add(const char* arg) { return Add(absl::string_view(arg)); }
  Command& Add(std::string&& arg) {
    args_.push_back(std::move(arg));
    return *this;
  }
  // Appends the decimal form of `value`.
  Command& AddInt(int64_t value) {
    args_.push_back(absl::StrCat(value));
    return *this;
  }
  // Appends every element of `args`.
  template <typename Range>
  Command& AddAll(const Range& args) {
    for (const auto& a : args) args_.emplace_back(a);
    return *this;
  }
  void Reserve(size_t n) { args_.reserve(n); }

  absl::Span<const std::string> args() const { return args_; }
  size_t size() const { return args_.size(); }
  bool empty() const { return args_.empty(); }
  // The command name (first argument), or "" for an empty command. Safe to
  // log: never contains user data.
  absl::string_view name() const {
    return args_.empty() ? absl::string_view() : absl::string_view(args_[0]);
  }

 private:
  std::vector<std::string> args_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_COMMAND_H_
