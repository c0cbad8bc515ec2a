// Reading a pool's change stream (`pm:{<pool>}:feed`, SPEC §6), so replicas
// can keep their in-memory snapshots fresh:
//
//   ChangeFeed feed(&client);
//   // After a cold load (MemberRepository::LoadAll returns the position):
//   StreamId pos = load.feed_position;
//   while (running) {
//     ASSIGN_OR_RETURN(FeedBatch batch,
//                      feed.Read(pool, pos, 1000, absl::Milliseconds(500),
//                                absl::Now() + absl::Seconds(2)));
//     if (batch.gap) { /* events were trimmed unseen: reload in full */ }
//     for (const ChangeEvent& e : batch.events) Apply(e);  // idempotent by
//     version pos = batch.next;
//   }
//
// Events carry ids, versions and ops only — never profile content (SPEC §9).
// Writers append them inside the same Lua script as the change itself, so an
// event exists if and only if its change does.
//
// Gap detection: a reader at position P has missed events exactly when an
// entry after P was removed (trimmed by MAXLEN ~) before it read it, or the
// stream lost its history (Redis restarted without persistence, FLUSHALL).
// Read decides this after fetching, from the entry P itself and XINFO STREAM:
// trimming removes the oldest entries first, so if P is still in the stream
// nothing after it was trimmed; if P is gone, only an XDEL of exactly P
// (`max-deleted-entry-id` == P) is harmless, and everything else is a gap.
// A reader at 0-0 missed something iff entries were ever removed
// (`entries-added` > `length`, Redis 7). The check errs on the side of a
// needless reload (a reader whose own last entry was just trimmed), never of
// a missed event.
//
// Thread-safe (stateless apart from the client).
#ifndef PEERMATCH_SERVICE_STORE_CHANGE_FEED_H_
#define PEERMATCH_SERVICE_STORE_CHANGE_FEED_H_

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/store/redis_client.h"

namespace peermatch::store {

// A Redis stream entry id "<ms>-<seq>", ordered as Redis orders them.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  // Parses "<ms>-<seq>" (or "<ms>", meaning seq 0). INVALID_ARGUMENT
  // otherwise.
  static absl::StatusOr<StreamId> Parse(absl::string_view text);
  std::string ToString() const;
  bool IsZero() const { return ms == 0 && seq == 0; }

  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

struct ChangeEvent {
  StreamId id;
  std::string kind;       // "member"; later "match", "group", ...
  std::string op;         // "upsert" or "delete"
  std::string entity_id;  // the member id, ...
  int64_t version = 0;
};

struct FeedBatch {
  std::vector<ChangeEvent> events;  // in stream order
  // Where to continue: the last event's id, or the position passed in.
  StreamId next;
  // True when events after the position passed in were lost (see above):
  // the reader must reload in full.
  bool gap = false;
};

class ChangeFeed {
 public:
  explicit ChangeFeed(RedisClient* client) : client_(client) {}

  // The id of the newest event ever appended (XINFO last-generated-id), or
  // 0-0 when the stream does not exist. Reading from it returns only later
  // events.
  absl::StatusOr<StreamId> Position(absl::string_view pool,
                                    absl::Time deadline);

  // Up to `count` (1..10000) events after `after`. With `block` > 0 waits up
  // to `block` for the first event (XREAD BLOCK; `block` must end before
  // `deadline`); with `block` <= 0 returns at once. Errors: INVALID_ARGUMENT,
  // UNAVAILABLE, DEADLINE_EXCEEDED; INTERNAL for entries not written by us.
  absl::StatusOr<FeedBatch> Read(absl::string_view pool, StreamId after,
                                 int count, absl::Duration block,
                                 absl::Time deadline);

 private:
  RedisClient* client_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_CHANGE_FEED_H_
