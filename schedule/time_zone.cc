#include "schedule/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "base/file.h"
#include "schedule/civil.h"

namespace ecsync::schedule {

namespace {

constexpr size_t kHeaderBytes = 44;
// Far more than any real zone has (about 2,000 transitions at most, a few dozen types).
constexpr uint32_t kMaxTransitions = 100'000;
constexpr uint32_t kMaxTypes = 256;
// RFC 8536: offsets lie strictly within -25 and +26 hours.
constexpr int32_t kMaxOffset = 26 * 3600;

// Big-endian reads from a span already checked to be long enough.
uint32_t U32(const unsigned char* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
int64_t I64(const unsigned char* p) {
  return static_cast<int64_t>((static_cast<uint64_t>(U32(p)) << 32) | U32(p + 4));
}

struct Header {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

base::Result<Header> ReadHeader(std::string_view data, size_t at) {
  if (data.size() < at + kHeaderBytes || data.substr(at, 4) != "TZif") {
    return base::InvalidError("not a TZif file (no TZif header)");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at);
  Header h;
  h.version = static_cast<char>(p[4]);
  h.isutcnt = U32(p + 20);
  h.isstdcnt = U32(p + 24);
  h.leapcnt = U32(p + 28);
  h.timecnt = U32(p + 32);
  h.typecnt = U32(p + 36);
  h.charcnt = U32(p + 40);
  if (h.typecnt == 0 || h.typecnt > kMaxTypes || h.timecnt > kMaxTransitions ||
      h.leapcnt > kMaxTransitions || h.charcnt > 4096 ||
      (h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    return base::InvalidError("TZif header counts are out of range");
  }
  return h;
}

// The bytes of the data block that follows a header, with `time_bytes`-byte times.
uint64_t BlockBytes(const Header& h, uint64_t time_bytes) {
  return uint64_t{h.timecnt} * time_bytes + h.timecnt + uint64_t{h.typecnt} * 6 + h.charcnt +
         uint64_t{h.leapcnt} * (time_bytes + 4) + h.isstdcnt + h.isutcnt;
}

bool ValidZoneName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') {
    return false;
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '+' && c != '-' && c != '/') return false;
  }
  // No "." or ".." segment: the characters above already exclude '.'.
  return name.find("//") == std::string::npos;
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> kUtc = [] {
    std::shared_ptr<TimeZone> zone(new TimeZone());
    zone->name_ = "UTC";
    return zone;
  }();
  return kUtc;
}

base::Result<std::shared_ptr<const TimeZone>> TimeZone::Load(const std::string& name,
                                                             const std::string& root) {
  if (!ValidZoneName(name)) {
    return base::InvalidError("\"" + name +
                              "\" is not a time zone name; write an IANA name such as "
                              "Europe/Berlin or America/New_York");
  }
  const std::string path = root + "/" + name;
  auto data = base::ReadWholeFile(path);
  if (!data.ok()) {
    if (data.status().kind() == base::ErrorKind::kNotFound) {
      return base::NotFoundError("unknown time zone \"" + name + "\" (no " + path +
                                 "; is the tzdata package installed?)");
    }
    return base::InvalidError("time zone \"" + name + "\": " + data.status().message());
  }
  if (data->size() > kMaxFileBytes) {
    return base::InvalidError("time zone \"" + name + "\": " + path + " is too large for TZif");
  }
  auto zone = Parse(*data, name);
  if (!zone.ok()) {
    return base::InvalidError("time zone \"" + name + "\": " + path + ": " +
                              zone.status().message());
  }
  return zone;
}

base::Result<std::shared_ptr<const TimeZone>> TimeZone::Parse(std::string_view data,
                                                              const std::string& name) {
  if (data.size() > kMaxFileBytes) return base::InvalidError("TZif data too large");
  ECSYNC_ASSIGN_OR_RETURN(const Header v1, ReadHeader(data, 0));
  if (v1.version < '2') {
    return base::InvalidError("TZif version 1 files are not supported (no 64-bit data)");
  }
  // Skip the 32-bit block; the 64-bit one follows with its own header.
  const uint64_t v2_at = kHeaderBytes + BlockBytes(v1, 4);
  if (v2_at > data.size()) return base::InvalidError("TZif file is truncated");
  ECSYNC_ASSIGN_OR_RETURN(const Header h, ReadHeader(data, v2_at));
  const uint64_t block_at = v2_at + kHeaderBytes;
  const uint64_t footer_at = block_at + BlockBytes(h, 8);
  if (footer_at > data.size()) return base::InvalidError("TZif file is truncated");
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + block_at);
  const unsigned char* indexes = p + uint64_t{h.timecnt} * 8;
  const unsigned char* types = indexes + h.timecnt;

  std::vector<ZoneOffset> offsets;
  for (uint32_t i = 0; i < h.typecnt; ++i) {
    const unsigned char* t = types + uint64_t{i} * 6;
    const auto utoff = static_cast<int32_t>(U32(t));
    if (utoff <= -kMaxOffset + 3600 || utoff >= kMaxOffset || t[4] > 1 || t[5] >= h.charcnt) {
      return base::InvalidError("TZif local time type " + std::to_string(i) + " is invalid");
    }
    offsets.push_back({utoff, t[4] == 1});
  }
  std::shared_ptr<TimeZone> zone(new TimeZone());
  zone->name_ = name;
  zone->initial_ = offsets[0];
  for (uint32_t i = 0; i < h.timecnt; ++i) {
    const int64_t at = I64(p + uint64_t{i} * 8);
    if (indexes[i] >= h.typecnt) {
      return base::InvalidError("TZif transition " + std::to_string(i) + " names no type");
    }
    if (!zone->transitions_.empty() && at <= zone->transitions_.back().at) {
      return base::InvalidError("TZif transitions are not in increasing order");
    }
    zone->transitions_.push_back({at, offsets[indexes[i]]});
  }
  // The footer: "\n<POSIX TZ>\n".
  std::string_view footer = data.substr(footer_at);
  if (footer.size() < 2 || footer.front() != '\n') {
    return base::InvalidError("TZif footer is missing");
  }
  const size_t end = footer.find('\n', 1);
  if (end == std::string_view::npos) return base::InvalidError("TZif footer is not terminated");
  auto rule = PosixRule::Parse(footer.substr(1, end - 1));
  if (!rule.ok()) return base::InvalidError("TZif footer: " + rule.status().message());
  zone->footer_ = *rule;
  return std::shared_ptr<const TimeZone>(std::move(zone));
}

ZoneOffset TimeZone::At(UtcSeconds instant) const {
  if (transitions_.empty()) return footer_.valid() ? footer_.At(instant) : initial_;
  if (instant < transitions_.front().at) return initial_;
  if (instant >= transitions_.back().at && footer_.valid()) return footer_.At(instant);
  auto after = std::upper_bound(transitions_.begin(), transitions_.end(), instant,
                                [](UtcSeconds t, const Transition& tr) { return t < tr.at; });
  return std::prev(after)->offset;
}

LocalToUtc TimeZone::ToUtc(LocalSeconds local) const {
  // Every offset in force within a day and a bit of the reading; an instant shows the
  // reading when the offset in force at (local - offset) is that offset.
  std::set<int32_t> candidates;
  for (int64_t probe : {-100'000, -50'000, 0, 50'000, 100'000}) {
    candidates.insert(At(local + probe).utc_offset);
  }
  std::vector<UtcSeconds> instants;
  for (int32_t offset : candidates) {
    const UtcSeconds instant = local - offset;
    if (At(instant).utc_offset == offset) instants.push_back(instant);
  }
  std::sort(instants.begin(), instants.end());
  instants.erase(std::unique(instants.begin(), instants.end()), instants.end());
  if (!instants.empty()) {
    return {instants.size() > 1 ? LocalKind::kAmbiguous : LocalKind::kUnique, instants.front()};
  }
  // A gap: read with the smaller (earlier) offset the reading lies after the transition, with
  // the larger before it. Find the transition between by bisection.
  UtcSeconds before = local - *candidates.rbegin();
  UtcSeconds after = local - *candidates.begin();
  const int32_t offset_before = At(before).utc_offset;
  while (after - before > 1) {
    const UtcSeconds mid = before + (after - before) / 2;
    if (At(mid).utc_offset == offset_before) {
      before = mid;
    } else {
      after = mid;
    }
  }
  return {LocalKind::kGap, after};
}

std::string TimeZone::FormatLocal(UtcSeconds instant) const {
  const int32_t offset = At(instant).utc_offset;
  const LocalSeconds local = instant + offset;
  const int64_t days = FloorDiv(local, 86400);
  const int64_t second_of_day = local - days * 86400;
  const CivilDate date = CivilFromDays(days);
  const int32_t magnitude = offset < 0 ? -offset : offset;
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", date.year,
                date.month, date.day, static_cast<int>(second_of_day / 3600),
                static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60),
                offset < 0 ? '-' : '+', magnitude / 3600, magnitude / 60 % 60);
  return text;
}

}  // namespace ecsync::schedule
