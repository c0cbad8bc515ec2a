// GoogleTest matchers for absl::Status and absl::StatusOr<T>; Debian's
// abseil 20220623 has none.
//
//   EXPECT_THAT(repo.Get("x"), StatusIs(absl::StatusCode::kNotFound));
//   ASSERT_THAT(repo.Put(m), IsOk());
//   ASSERT_OK_AND_ASSIGN(auto member, repo.Get("x"));
#ifndef PEERMATCH_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define PEERMATCH_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace peermatch::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::peermatch::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = ::peermatch::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = ::peermatch::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(s.message()), result_listener);
}

}  // namespace peermatch::testing

#define PEERMATCH_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                         \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();          \
  lhs = std::move(tmp).value()

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                    \
  PEERMATCH_ASSERT_OK_AND_ASSIGN_IMPL_(                                    \
      PEERMATCH_CONCAT_ASSERT_(peermatch_assert_statusor_, __LINE__), lhs, \
      expr)
#define PEERMATCH_CONCAT_ASSERT_INNER_(a, b) a##b
#define PEERMATCH_CONCAT_ASSERT_(a, b) PEERMATCH_CONCAT_ASSERT_INNER_(a, b)

#endif  // PEERMATCH_TESTS_SUPPORT_STATUS_MATCHERS_H_
