// Members from CSV for `peermatch members import --format csv` (R-API CLI).
//
// The first record is a header naming Member fields, by proto name
// (`recovery_stage`) or JSON name (`recoveryStage`), each at most once; `id`
// is required; `version` and `update_time` are the server's and cannot be
// imported. Records follow RFC 4180: comma-separated, a field in double
// quotes may hold commas, line breaks and doubled quotes (""). In a cell:
//   - lists (roles, triggers, interests, languages, modalities, blocked,
//     availability) are separated by ';' — empty items are dropped;
//   - roles and modalities are enum names with or without their prefix
//     (`MENTOR` or `ROLE_MENTOR`, `video` or `MODALITY_VIDEO`);
//   - availability windows are `DAY HH:MM-HH:MM` in the member's time zone
//     (`MONDAY 18:00-21:00`, `sat 10:00-13:00`; the end may be 24:00);
//   - booleans are true/false, yes/no or 1/0; integers are decimal;
//   - an empty cell leaves the field unset.
// Each record becomes the Member's JSON (protobuf's JSON mapping, built as a
// google.protobuf.Struct and printed by protobuf), so the CLI parses CSV and
// JSON Lines members the same way and the server validates both alike.
#ifndef PEERMATCH_CLI_CSV_MEMBERS_H_
#define PEERMATCH_CLI_CSV_MEMBERS_H_

#include <istream>
#include <string>
#include <vector>

namespace peermatch::cli {

struct CsvMember {
  int line = 0;       // where the record starts (1-based; the header is 1)
  std::string json;   // the member as JSON, when `error` is empty
  std::string error;  // why this record is not a member
};

// Reads a whole CSV document. Returns false with `error` set when the
// document as a whole is unusable (no header, an unknown or repeated
// column, no `id` column, a quote left open at the end); records with bad
// cells come back with their own error and do not stop the others.
bool ReadCsvMembers(std::istream& in, std::vector<CsvMember>* out,
                    std::string* error);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_CSV_MEMBERS_H_
