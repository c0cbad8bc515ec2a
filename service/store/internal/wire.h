// Tag-length-value primitives for the store's record formats
// (record_codec.h). The encoding is protobuf's wire format (varints,
// fixed64, length-delimited) because the legacy records were serialized
// protos and both generations are read by the same reader; the *schemas*
// (field numbers and meanings) are the store's own and live in
// record_codec.cc, so the API's proto messages can change without touching
// stored data.
//
//   WireWriter w(&out);
//   w.Varint(1, stage);
//   w.Bytes(2, time_zone);
//   WireReader r(payload);
//   WireReader::Field f;
//   while (r.Next(&f)) { switch (f.number) { case 1: stage = f.varint; ... } }
//   if (!r.ok()) { /* truncated or malformed */ }
//
// Internal to the store.
#ifndef PEERMATCH_SERVICE_STORE_INTERNAL_WIRE_H_
#define PEERMATCH_SERVICE_STORE_INTERNAL_WIRE_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace peermatch::store::internal {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(out) {}

  void Varint(uint32_t field, uint64_t v) {
    Tag(field, kVarint);
    Raw(v);
  }
  // int32 fields as protobuf writes them: negative values sign-extended.
  void Int(uint32_t field, int64_t v) { Varint(field, static_cast<uint64_t>(v)); }
  void Double(uint32_t field, double v) {
    Tag(field, kFixed64);
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>(bits >> (8 * i)));
  }
  void Bytes(uint32_t field, absl::string_view v) {
    Tag(field, kLengthDelimited);
    Raw(v.size());
    out_->append(v.data(), v.size());
  }
  // A nested record: `fill` writes its fields into a WireWriter.
  template <typename Fill>
  void Message(uint32_t field, Fill fill) {
    std::string inner;
    WireWriter w(&inner);
    fill(w);
    Bytes(field, inner);
  }

 private:
  void Tag(uint32_t field, WireType type) { Raw((uint64_t{field} << 3) | type); }
  void Raw(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  std::string* out_;
};

class WireReader {
 public:
  struct Field {
    uint32_t number = 0;
    WireType type = kVarint;
    uint64_t varint = 0;    // kVarint; kFixed64/kFixed32 raw bits
    absl::string_view bytes;  // kLengthDelimited
    double AsDouble() const {
      double d;
      std::memcpy(&d, &varint, sizeof d);
      return d;
    }
    int64_t AsInt() const { return static_cast<int64_t>(varint); }
  };

  explicit WireReader(absl::string_view data) : data_(data) {}

  // The next field; false at the end or on malformed input (then ok() is
  // false). Unknown wire types (groups) are malformed.
  bool Next(Field* f);
  bool ok() const { return ok_; }

  // Reads a whole packed-or-not repeated varint field's value: for
  // kLengthDelimited `f`, calls `add` for each packed varint; for kVarint,
  // once. Returns false on malformed packing.
  template <typename Add>
  static bool RepeatedVarint(const Field& f, Add add) {
    if (f.type == kVarint) {
      add(f.varint);
      return true;
    }
    if (f.type != kLengthDelimited) return false;
    absl::string_view d = f.bytes;
    while (!d.empty()) {
      uint64_t v;
      if (!ReadRaw(&d, &v)) return false;
      add(v);
    }
    return true;
  }

 private:
  static bool ReadRaw(absl::string_view* d, uint64_t* v);
  absl::string_view data_;
  bool ok_ = true;
};

}  // namespace peermatch::store::internal

#endif  // PEERMATCH_SERVICE_STORE_INTERNAL_WIRE_H_
