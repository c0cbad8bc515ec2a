#include "base/ids.h"
#include "service/store/change_feed.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"

namespace peermatch::store {
namespace {

// The value of `field` in a flat key/value array reply (RESP2 maps).
ReplyView Field(const ReplyView& map, absl::string_view field) {
  for (size_t i = 0; i + 1 < map.size(); i += 2) {
    if (map[i].str() == field) return map[i + 1];
  }
  return ReplyView();
}

absl::StatusOr<ChangeEvent> ParseEntry(const ReplyView& entry) {
  if (entry.size() != 2 || !entry[1].is_array()) {
    return absl::InternalError("feed: malformed stream entry");
  }
  ChangeEvent e;
  ASSIGN_OR_RETURN(e.id, StreamId::Parse(entry[0].str()));
  const ReplyView fields = entry[1];
  e.kind = std::string(Field(fields, "kind").str());
  e.op = std::string(Field(fields, "op").str());
  e.entity_id = std::string(Field(fields, "id").str());
  if (e.kind.empty() || e.op.empty() || e.entity_id.empty() ||
      !absl::SimpleAtoi(Field(fields, "v").str(), &e.version)) {
    return absl::InternalError(
        absl::StrCat("feed: entry ", e.id.ToString(), " lacks kind/op/id/v"));
  }
  return e;
}

bool IsDecimal(absl::string_view s) {
  return !s.empty() && s.size() <= 20 &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool IsNoSuchKey(const ReplyView& r) {
  return r.is_error() && absl::StrContains(r.str(), "no such key");
}

}  // namespace

absl::StatusOr<StreamId> StreamId::Parse(absl::string_view text) {
  const size_t dash = text.find('-');
  const absl::string_view ms = text.substr(0, dash);
  const absl::string_view seq = dash == absl::string_view::npos
                                    ? absl::string_view("0")
                                    : text.substr(dash + 1);
  StreamId id;
  if (!IsDecimal(ms) || !IsDecimal(seq) || !absl::SimpleAtoi(ms, &id.ms) ||
      !absl::SimpleAtoi(seq, &id.seq)) {
    return absl::InvalidArgumentError("stream id must be <ms>-<seq>");
  }
  return id;
}

std::string StreamId::ToString() const { return absl::StrCat(ms, "-", seq); }

absl::StatusOr<StreamId> ChangeFeed::Position(absl::string_view pool,
                                              absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError("invalid pool id");
  }
  const std::string feed = keys::Feed(pool);
  ASSIGN_OR_RETURN(
      Reply info,
      client_->Run(feed, Command({"XINFO", "STREAM", feed}), deadline));
  if (IsNoSuchKey(info)) return StreamId();
  if (info.is_error()) return ErrorReplyToStatus(info.str());
  return StreamId::Parse(Field(info, "last-generated-id").str());
}

absl::StatusOr<FeedBatch> ChangeFeed::Read(absl::string_view pool,
                                           StreamId after, int count,
                                           absl::Duration block,
                                           absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError("invalid pool id");
  }
  if (count < 1 || count > 10000) {
    return absl::InvalidArgumentError("feed read count must be 1..10000");
  }
  const std::string feed = keys::Feed(pool);
  const std::string from = after.ToString();
  Command xread({"XREAD", "COUNT"});
  xread.AddInt(count);
  CallOptions options{deadline};
  if (block > absl::ZeroDuration()) {
    if (absl::Now() + block >= deadline) {
      return absl::InvalidArgumentError(
          "feed read block must end before the deadline");
    }
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(block));
    xread.Add("BLOCK").AddInt(ms);
    options.extra_timeout = absl::Milliseconds(ms);
  }
  xread.Add("STREAMS").Add(feed).Add(from);
  // XREAD first, then the gap evidence: trimming between the two can only
  // add a needless reload, never hide a loss.
  const std::vector<Command> cmds = {
      std::move(xread), Command({"XINFO", "STREAM", feed}),
      Command({"XRANGE", feed, from, from, "COUNT", "1"})};
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client_->Pipeline(feed, cmds, options));
  for (const Reply& r : replies) {
    if (r.is_error() && !IsNoSuchKey(r)) return ErrorReplyToStatus(r.str());
  }

  FeedBatch batch;
  batch.next = after;
  // XREAD: nil, or [[feed, [[id, [field, value, ...]], ...]]].
  const ReplyView streams = replies[0];
  if (streams.is_array() && streams.size() == 1) {
    const ReplyView entries = streams[0][1];
    batch.events.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      ASSIGN_OR_RETURN(ChangeEvent e, ParseEntry(entries[i]));
      batch.next = e.id;
      batch.events.push_back(std::move(e));
    }
  }

  const ReplyView info = replies[1];
  if (IsNoSuchKey(info)) {
    // No stream: fine for a reader that never saw one; history lost otherwise.
    batch.gap = !after.IsZero();
    return batch;
  }
  if (after.IsZero()) {
    // A reader from the very beginning missed something iff any entry was
    // ever removed: more entries added (Redis 7) than the stream holds.
    const ReplyView added = Field(info, "entries-added");
    const ReplyView length = Field(info, "length");
    batch.gap = added.is_integer() && length.is_integer() &&
                added.integer() > length.integer();
    return batch;
  }
  // Trimming removes the oldest entries first, so if the reader's own entry
  // is still there nothing after it was removed. If it is gone, the reader
  // is safe only when that exact entry was the newest one XDEL'd (MAXLEN
  // trimming does not update max-deleted-entry-id, so a trimmed position is
  // always reported: at worst a needless reload).
  const bool position_present = replies[2].is_array() && replies[2].size() == 1;
  bool deleted_exactly_here = false;
  const ReplyView max_deleted = Field(info, "max-deleted-entry-id");
  if (max_deleted.is_string()) {
    ASSIGN_OR_RETURN(StreamId id, StreamId::Parse(max_deleted.str()));
    deleted_exactly_here = id == after;
  }
  batch.gap = !position_present && !deleted_exactly_here;
  return batch;
}

}  // namespace peermatch::store
