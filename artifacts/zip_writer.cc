#include "artifacts/zip_writer.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace ecsync::artifacts {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint16_t kVersionNeeded = 20;          // 2.0: deflate
constexpr uint16_t kVersionNeededZip64 = 45;     // 4.5: ZIP64 end records
constexpr uint16_t kMadeByUnix = (3 << 8) | 30;  // host Unix, so extractors read the modes
constexpr uint16_t kFlagUtf8Name = 1 << 11;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;
constexpr uint16_t kDosTime = 0;                        // 00:00:00
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the earliest DOS date
constexpr uint32_t kUnixRegular = 0100000;
constexpr uint32_t kUnixSymlink = 0120000;
constexpr uint64_t kMax32 = 0xFFFFFFFFu;
constexpr uint64_t kMax16 = 0xFFFFu;
// zlib counts input and output in 32-bit units; larger files go through in slices.
constexpr size_t kSlice = size_t{1} << 30;

void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>(v >> 8));
}

void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void Patch32(std::string* out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace

struct ZipWriter::Stream {
  z_stream z{};
  bool ready = false;
  ~Stream() {
    if (ready) deflateEnd(&z);
  }
};

ZipWriter::ZipWriter(int level) : stream_(std::make_unique<Stream>()) {
  // Raw deflate (negative window bits): ZIP stores no zlib header or trailer.
  stream_->ready =
      deflateInit2(&stream_->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

ZipWriter::~ZipWriter() = default;

base::Status ZipWriter::Add(std::string_view path, ZipEntryType type, uint32_t permissions,
                            std::string_view content) {
  if (path.empty() || path.size() > kMax16) {
    return base::InvalidError("a ZIP entry's path must be 1 to 65535 bytes long");
  }
  if (content.size() >= kMax32) {
    return base::InvalidError(std::string(path) + " is 4 GiB or larger, too large for a ZIP entry");
  }
  const uint64_t offset = out_.size();
  if (offset >= kMax32) {
    return base::InvalidError("the ZIP archive would exceed 4 GiB at " + std::string(path));
  }
  if (!stream_->ready) return base::InternalError("zlib's deflate could not be initialized");

  const uint16_t flags = IsAscii(path) ? 0 : kFlagUtf8Name;
  const uint32_t crc = Crc32(content);
  // The local header, with method and compressed size patched once they are known.
  Put32(&out_, kLocalHeaderSignature);
  Put16(&out_, kVersionNeeded);
  Put16(&out_, flags);
  const size_t method_at = out_.size();
  Put16(&out_, kMethodStored);
  Put16(&out_, kDosTime);
  Put16(&out_, kDosDate);
  Put32(&out_, crc);
  const size_t compressed_size_at = out_.size();
  Put32(&out_, 0);
  Put32(&out_, static_cast<uint32_t>(content.size()));
  Put16(&out_, static_cast<uint16_t>(path.size()));
  Put16(&out_, 0);  // no extra field
  out_.append(path);

  const size_t data_at = out_.size();
  uint16_t method = kMethodStored;
  if (type == ZipEntryType::kFile && !content.empty()) {
    z_stream& z = stream_->z;
    if (deflateReset(&z) != Z_OK) return base::InternalError("zlib's deflateReset failed");
    const uLong bound = deflateBound(&z, content.size());
    out_.resize(data_at + bound);
    size_t in_done = 0;
    size_t out_done = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      const size_t in_slice = std::min(kSlice, content.size() - in_done);
      const size_t out_slice = std::min<size_t>(kSlice, bound - out_done);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data() + in_done));
      z.avail_in = static_cast<uInt>(in_slice);
      z.next_out = reinterpret_cast<Bytef*>(out_.data() + data_at + out_done);
      z.avail_out = static_cast<uInt>(out_slice);
      const bool last = in_done + in_slice == content.size();
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      // The output has room for deflateBound bytes, so every call makes progress: anything
      // else (Z_BUF_ERROR included) is a failure, not a reason to loop.
      if (rc != Z_OK && rc != Z_STREAM_END) {
        return base::InternalError("zlib's deflate failed on " + std::string(path));
      }
      in_done += in_slice - z.avail_in;
      out_done += out_slice - z.avail_out;
    }
    if (out_done < content.size()) {
      out_.resize(data_at + out_done);
      method = kMethodDeflated;
    } else {
      out_.resize(data_at);  // incompressible: store it as it is
    }
  }
  if (method == kMethodStored) out_.append(content);
  const uint64_t compressed_size = out_.size() - data_at;
  out_[method_at] = static_cast<char>(method);
  Patch32(&out_, compressed_size_at, static_cast<uint32_t>(compressed_size));

  const uint32_t file_type = type == ZipEntryType::kSymlink ? kUnixSymlink : kUnixRegular;
  Put32(&central_, kCentralHeaderSignature);
  Put16(&central_, kMadeByUnix);
  Put16(&central_, kVersionNeeded);
  Put16(&central_, flags);
  Put16(&central_, method);
  Put16(&central_, kDosTime);
  Put16(&central_, kDosDate);
  Put32(&central_, crc);
  Put32(&central_, static_cast<uint32_t>(compressed_size));
  Put32(&central_, static_cast<uint32_t>(content.size()));
  Put16(&central_, static_cast<uint16_t>(path.size()));
  Put16(&central_, 0);  // extra field
  Put16(&central_, 0);  // comment
  Put16(&central_, 0);  // disk number
  Put16(&central_, 0);  // internal attributes
  Put32(&central_, (file_type | (permissions & 07777)) << 16);
  Put32(&central_, static_cast<uint32_t>(offset));
  central_.append(path);
  ++entries_;
  return base::Status::Ok();
}

std::string ZipWriter::Finish() {
  const uint64_t central_at = out_.size();
  const uint64_t central_size = central_.size();
  out_.append(central_);
  central_.clear();
  central_.shrink_to_fit();
  const bool zip64 = entries_ > kMax16 - 1 || central_at >= kMax32 || central_size >= kMax32;
  if (zip64) {
    const uint64_t record_at = out_.size();
    Put32(&out_, kZip64EndSignature);
    Put64(&out_, 44);  // the record's size after this field
    Put16(&out_, kMadeByUnix);
    Put16(&out_, kVersionNeededZip64);
    Put32(&out_, 0);  // this disk
    Put32(&out_, 0);  // the disk the central directory starts on
    Put64(&out_, entries_);
    Put64(&out_, entries_);
    Put64(&out_, central_size);
    Put64(&out_, central_at);
    Put32(&out_, kZip64LocatorSignature);
    Put32(&out_, 0);  // the disk holding the ZIP64 end record
    Put64(&out_, record_at);
    Put32(&out_, 1);  // disks in all
  }
  Put32(&out_, kEndSignature);
  Put16(&out_, 0);
  Put16(&out_, 0);
  const auto entries16 = static_cast<uint16_t>(zip64 ? kMax16 : entries_);
  Put16(&out_, entries16);
  Put16(&out_, entries16);
  Put32(&out_, static_cast<uint32_t>(std::min(central_size, kMax32)));
  Put32(&out_, static_cast<uint32_t>(zip64 ? kMax32 : central_at));
  Put16(&out_, 0);  // comment length
  entries_ = 0;
  std::string archive = std::move(out_);
  out_.clear();
  return archive;
}

}  // namespace ecsync::artifacts
