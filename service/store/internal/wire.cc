#include "service/store/internal/wire.h"

namespace peermatch::store::internal {

bool WireReader::ReadRaw(absl::string_view* d, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (d->empty()) return false;
    const uint8_t b = static_cast<uint8_t>((*d)[0]);
    d->remove_prefix(1);
    result |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;  // more than 10 bytes
}

bool WireReader::Next(Field* f) {
  if (!ok_ || data_.empty()) return false;
  uint64_t tag;
  if (!ReadRaw(&data_, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
    ok_ = false;
    return false;
  }
  f->number = static_cast<uint32_t>(tag >> 3);
  f->type = static_cast<WireType>(tag & 7);
  f->varint = 0;
  f->bytes = {};
  switch (f->type) {
    case kVarint:
      ok_ = ReadRaw(&data_, &f->varint);
      break;
    case kFixed64:
    case kFixed32: {
      const size_t n = f->type == kFixed64 ? 8 : 4;
      if (data_.size() < n) {
        ok_ = false;
        break;
      }
      for (size_t i = 0; i < n; ++i) {
        f->varint |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
      }
      data_.remove_prefix(n);
      break;
    }
    case kLengthDelimited: {
      uint64_t len;
      if (!ReadRaw(&data_, &len) || len > data_.size()) {
        ok_ = false;
        break;
      }
      f->bytes = data_.substr(0, len);
      data_.remove_prefix(len);
      break;
    }
    default:
      ok_ = false;
  }
  return ok_;
}

}  // namespace peermatch::store::internal
