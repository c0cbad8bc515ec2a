// Pages of an id index (a ZSET read newest first) filtered by the records'
// contents, for the list calls of the repositories. Full pages: ids are
// read in chunks and filtered until the page holds `page_size` records or
// the index ends, so a filter never yields a short page in the middle of a
// listing (AIP-158 allows it, clients rarely expect it). The scan is
// bounded (`max_scan` ids per call): past it the page may be short, and
// `next_offset` continues where the scan stopped, so no record is skipped.
//
// Internal to the store.
#ifndef PEERMATCH_SERVICE_STORE_INTERNAL_PAGING_H_
#define PEERMATCH_SERVICE_STORE_INTERNAL_PAGING_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "service/store/redis_client.h"
#include "service/store/redis_error.h"

namespace peermatch::store::internal {

inline constexpr int64_t kMaxPageScan = 10000;

template <typename Record>
struct FilteredPage {
  std::vector<Record> records;
  int64_t next_offset = 0;  // 0: the index ended
};

// `fetch(ids)` returns the records of the ids that still exist (any order);
// `keep(record)` says whether it belongs in the page; `id(record)` names it.
template <typename Record, typename Fetch, typename Keep, typename Id>
absl::StatusOr<FilteredPage<Record>> ReadFilteredPage(
    RedisClient& client, const std::string& index_key, int64_t offset,
    int page_size, absl::Time deadline, Fetch fetch, Keep keep, Id id,
    int64_t max_scan = kMaxPageScan) {
  FilteredPage<Record> page;
  int64_t pos = offset;
  const int64_t scan_end = offset + std::max<int64_t>(max_scan, page_size);
  while (pos < scan_end) {
    const int64_t chunk =
        std::min<int64_t>(scan_end - pos, std::max<int64_t>(page_size, 100));
    ASSIGN_OR_RETURN(Reply r, client.Run(index_key,
                                         Command({"ZREVRANGE", index_key})
                                             .AddInt(pos)
                                             .AddInt(pos + chunk - 1),
                                         deadline));
    if (r.is_error()) return ErrorReplyToStatus(r.str());
    ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
    ASSIGN_OR_RETURN(std::vector<Record> found, fetch(ids));
    absl::flat_hash_map<std::string, Record*> by_id;
    for (Record& rec : found) by_id[id(rec)] = &rec;
    for (const std::string& i : ids) {
      ++pos;
      auto it = by_id.find(i);
      if (it == by_id.end() || !keep(*it->second)) continue;
      page.records.push_back(std::move(*it->second));
      if (static_cast<int>(page.records.size()) == page_size) {
        page.next_offset = pos;  // may be the index's end: one empty page
        return page;
      }
    }
    if (static_cast<int64_t>(ids.size()) < chunk) return page;  // the end
  }
  page.next_offset = pos;  // the scan bound: continue from here
  return page;
}

}  // namespace peermatch::store::internal

#endif  // PEERMATCH_SERVICE_STORE_INTERNAL_PAGING_H_
