// libFuzzer target: request validation (R-TEST, R-SEC "a hostile client can
// never crash the server"). The input is read as a serialized
// UpsertMemberRequest and, separately, as its JSON form; both go through the
// same validation and normalization the server runs. Properties checked:
//   - nothing crashes, hangs or trips a sanitizer;
//   - normalizing an accepted member again is a no-op (idempotence);
//   - an accepted member stays within every SPEC §2 limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "peermatch/v1/member_service.pb.h"
#include "service/api/validation.h"

namespace {

void Check(const peermatch::v1::Member& input) {
  peermatch::v1::Member m = input;
  peermatch::api::FieldErrors errors;
  peermatch::api::NormalizeMember(&m, "member", &errors);
  if (!errors.empty()) return;
  peermatch::v1::Member again = m;
  peermatch::api::FieldErrors errors2;
  peermatch::api::NormalizeMember(&again, "member", &errors2);
  if (!errors2.empty() || again.SerializeAsString() != m.SerializeAsString()) {
    std::abort();  // normalization must be idempotent
  }
  if (m.triggers_size() > peermatch::api::kMaxTags ||
      m.interests_size() > peermatch::api::kMaxTags ||
      m.availability_size() > peermatch::api::kMaxWindows ||
      m.languages_size() < 1 ||
      m.languages_size() > peermatch::api::kMaxLanguages ||
      m.blocked_size() > peermatch::api::kMaxBlocked || m.roles_size() < 1 ||
      m.recovery_stage() < 1 || m.recovery_stage() > 5) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  peermatch::v1::UpsertMemberRequest req;
  if (req.ParseFromArray(data, static_cast<int>(size))) Check(req.member());
  peermatch::v1::Member from_json;
  google::protobuf::util::JsonParseOptions opts;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (google::protobuf::util::JsonStringToMessage(text, &from_json, opts)
          .ok()) {
    Check(from_json);
  }
  return 0;
}
