#include "service/store/reply.h"

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace peermatch::store {

ReplyView::Type ReplyView::type() const {
  if (r_ == nullptr) return Type::kNil;
  switch (r_->type) {
    case REDIS_REPLY_STRING:
      return Type::kString;
    case REDIS_REPLY_STATUS:
      return Type::kStatus;
    case REDIS_REPLY_INTEGER:
      return Type::kInteger;
    case REDIS_REPLY_ARRAY:
      return Type::kArray;
    case REDIS_REPLY_ERROR:
      return Type::kError;
    default:
      return Type::kNil;
  }
}

absl::string_view ReplyView::str() const {
  if (r_ == nullptr || r_->str == nullptr) return {};
  switch (r_->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return absl::string_view(r_->str, r_->len);
    default:
      return {};
  }
}

int64_t ReplyView::integer() const {
  return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER ? r_->integer : 0;
}

size_t ReplyView::size() const {
  return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY ? r_->elements : 0;
}

ReplyView ReplyView::operator[](size_t i) const {
  if (i >= size()) return ReplyView();
  return ReplyView(r_->element[i]);
}

absl::StatusOr<int64_t> ReplyView::ToInt64() const {
  if (is_integer()) return integer();
  int64_t v = 0;
  if (type() == Type::kString && absl::SimpleAtoi(str(), &v)) return v;
  return absl::InternalError(
      absl::StrCat("redis: expected an integer reply, got ", Describe()));
}

absl::StatusOr<std::vector<std::string>> ReplyView::ToStrings() const {
  if (!is_array()) {
    return absl::InternalError(
        absl::StrCat("redis: expected an array reply, got ", Describe()));
  }
  std::vector<std::string> out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) {
    ReplyView e = (*this)[i];
    if (!e.is_string()) {
      return absl::InternalError(absl::StrCat(
          "redis: expected an array of strings, element is ", e.Describe()));
    }
    out.emplace_back(e.str());
  }
  return out;
}

std::string ReplyView::Describe() const {
  switch (type()) {
    case Type::kNil:
      return "nil";
    case Type::kString:
      return absl::StrCat("string(", str().size(), " bytes)");
    case Type::kStatus:
      return "status";
    case Type::kInteger:
      return "integer";
    case Type::kArray:
      return absl::StrCat("array(", size(), ")");
    case Type::kError:
      // Error replies come from Redis or from our scripts; neither echoes
      // payloads.
      return absl::StrCat("error(", str().substr(0, 200), ")");
  }
  return "unknown";
}

void Reply::Deleter::operator()(redisReply* r) const { freeReplyObject(r); }

absl::StatusOr<Reply> Reply::FromResp(absl::string_view resp) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(
      redisReaderCreate(), &redisReaderFree);
  if (reader == nullptr) return absl::ResourceExhaustedError("out of memory");
  if (redisReaderFeed(reader.get(), resp.data(), resp.size()) != REDIS_OK) {
    return absl::InvalidArgumentError("resp: feed failed");
  }
  void* out = nullptr;
  if (redisReaderGetReply(reader.get(), &out) != REDIS_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("resp: protocol error: ", reader->errstr));
  }
  if (out == nullptr) return absl::InvalidArgumentError("resp: incomplete");
  Reply reply(static_cast<redisReply*>(out));
  void* extra = nullptr;
  if (redisReaderGetReply(reader.get(), &extra) != REDIS_OK ||
      extra != nullptr) {
    if (extra != nullptr) freeReplyObject(extra);
    return absl::InvalidArgumentError("resp: more than one reply");
  }
  return reply;
}

}  // namespace peermatch::store
