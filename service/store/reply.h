// Typed access to Redis replies, so callers never touch `redisReply*`:
//
//   ASSIGN_OR_RETURN(Reply r, client.Run(key, Command({"HMGET", key, "p",
//   "v"}),
//                                        deadline));
//   if (r.is_error()) return ErrorReplyToStatus(r.str());
//   if (r[1].is_nil()) return absl::NotFoundError("...");
//   ASSIGN_OR_RETURN(int64_t version, r[1].ToInt64());
//
// `Reply` owns a hiredis reply tree (freed with `freeReplyObject`); it is
// movable, not copyable. `ReplyView` is a non-owning view of one node of that
// tree, valid while the owning `Reply` lives. A default-constructed Reply (and
// an out-of-range element) reads as nil. Neither type is internally
// synchronized; distinct objects may be used from different threads.
#ifndef PEERMATCH_SERVICE_STORE_REPLY_H_
#define PEERMATCH_SERVICE_STORE_REPLY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct redisReply;  // hiredis; kept out of our headers' callers.

namespace peermatch::store {

class ReplyView {
 public:
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };

  ReplyView() = default;
  explicit ReplyView(const redisReply* r) : r_(r) {}

  Type type() const;
  bool is_nil() const { return type() == Type::kNil; }
  bool is_error() const { return type() == Type::kError; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_integer() const { return type() == Type::kInteger; }
  // A bulk string or a simple status ("OK").
  bool is_string() const {
    return type() == Type::kString || type() == Type::kStatus;
  }

  // The bytes of a string, status or error reply; empty for other types.
  absl::string_view str() const;
  // The value of an integer reply; 0 for other types.
  int64_t integer() const;
  // Number of elements of an array reply; 0 for other types.
  size_t size() const;
  // Element `i` of an array; a nil view when out of range or not an array.
  ReplyView operator[](size_t i) const;

  // The value of an integer reply, or of a string holding a decimal integer
  // (Lua numbers and hash fields arrive as strings). INTERNAL otherwise.
  absl::StatusOr<int64_t> ToInt64() const;
  // The elements of an array of strings. INTERNAL if any is not a string.
  absl::StatusOr<std::vector<std::string>> ToStrings() const;

  // A short description for error messages: the type, and for errors the
  // message. Never contains string payloads (they may be profile content).
  std::string Describe() const;

 protected:
  const redisReply* r_ = nullptr;
};

class Reply : public ReplyView {
 public:
  Reply() = default;
  // Takes ownership of `r` (from redisGetReply and friends).
  explicit Reply(redisReply* r) : ReplyView(r), owner_(r) {}
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;

  // Parses one complete reply from RESP2 bytes, e.g. "-MOVED 3999 h:1\r\n".
  // For tests and for decoding stored replies. INVALID_ARGUMENT when `resp`
  // is not exactly one complete reply.
  static absl::StatusOr<Reply> FromResp(absl::string_view resp);

 private:
  struct Deleter {
    void operator()(redisReply* r) const;
  };
  std::unique_ptr<redisReply, Deleter> owner_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_REPLY_H_
