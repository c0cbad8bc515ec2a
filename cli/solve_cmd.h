// `peermatch solve [FILE]`: stable matching of an explicit rank-list
// instance, offline (SPEC §8 R-OFFLINE). Reads FILE, or stdin when FILE is
// absent or "-".
//
//   $ echo '{"mentees": [{"id": "e1", "ranking": ["m1"]}],
//            "mentors": [{"id": "m1", "capacity": 1, "ranking": ["e1"]}]}' |
//       peermatch solve
//   {"matches":[{"mentee":"e1","mentor":"m1"}],"unmatched_mentees":[],
//    "blocking_pairs":0}
//
// Input (protobuf's JSON mapping of peermatch.cli.SolveInstance,
// cli/offline.proto): `optimal` ("mentee", the default, or "mentor"),
// `mentees` [{id, ranking}], `mentors` [{id, capacity, ranking}]; rankings
// best first. A pair is acceptable only when each side ranks the other.
//
// Output: one line of JSON: `matches` [{mentee, mentor}] sorted by mentee id
// (byte-wise), `unmatched_mentees` (sorted ids), `blocking_pairs` (counted by
// the independent verifier; always 0). The matching is the mentee-optimal
// (or mentor-optimal) stable matching, which is unique, so equal inputs give
// byte-identical output whatever their order.
//
// Bad input exits 2 with one line on stderr naming the problem (and the JSON
// path, e.g. `mentors[3].capacity`) and nothing on stdout: malformed JSON,
// an unreadable file, an unknown key, an empty, duplicate or unknown id, an
// id used on both sides, a mentee ranking a mentee (or a mentor a mentor), a
// repeated ranking entry, a missing, non-integer or negative capacity
// (protobuf would read "2" as an integer; it is rejected), an `optimal`
// other than "mentee" or "mentor". Known leniency of protobuf's parser that
// is kept: a single string where a ranking list is expected is read as a
// one-entry list, and a repeated key keeps its last value. Ids in messages
// are C-escaped and cut to 64 bytes so the message stays one line.
//
// Cost: parsing dominates (protobuf's JSON parser); matching and
// verification are linear in the total list length.
#ifndef PEERMATCH_CLI_SOLVE_CMD_H_
#define PEERMATCH_CLI_SOLVE_CMD_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace peermatch::cli {

// `options` is unused: solve is offline.
int RunSolve(const GlobalOptions& options,
             const std::vector<std::string>& args);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_SOLVE_CMD_H_
