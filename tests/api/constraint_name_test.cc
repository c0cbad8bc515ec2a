// matcher::ConstraintName states the API's names of the hard constraints
// (used in core's error messages); it must agree with peermatch.v1.Constraint
// for every value the enum has, and the matcher's enum must not have more.
#include "gtest/gtest.h"
#include "matcher/scoring.h"
#include "peermatch/v1/match.pb.h"

namespace peermatch {
namespace {

TEST(ConstraintNameTest, AgreesWithTheApiEnum) {
  const google::protobuf::EnumDescriptor* d = v1::Constraint_descriptor();
  int checked = 0;
  for (int i = 0; i < d->value_count(); ++i) {
    const int n = d->value(i)->number();
    if (n == 0) continue;  // CONSTRAINT_UNSPECIFIED
    EXPECT_EQ(matcher::ConstraintName(static_cast<matcher::Constraint>(n)),
              d->value(i)->name());
    ++checked;
  }
  EXPECT_EQ(checked, 13);
  // Past the enum: the number, never a wrong name.
  EXPECT_EQ(matcher::ConstraintName(static_cast<matcher::Constraint>(14)),
            "14");
}

}  // namespace
}  // namespace peermatch
