#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "schedule/posix_tz.h"

namespace ecsync::schedule {

// The system's zoneinfo folder; the TZDIR environment variable overrides it (see
// ZoneinfoRoot in config/windows.h).
inline constexpr char kDefaultZoneinfoRoot[] = "/usr/share/zoneinfo";

// Seconds since 1970-01-01T00:00:00 of a local wall-clock reading, counted as if the zone
// were UTC (so day and time arithmetic is plain division). Not an instant.
using LocalSeconds = int64_t;
// Seconds since the Unix epoch: an instant.
using UtcSeconds = int64_t;

// Where a local reading falls.
enum class LocalKind {
  kUnique,     // exactly one instant shows it
  kGap,        // skipped (clocks jumped forward): no instant shows it
  kAmbiguous,  // repeated (clocks went back): two instants show it
};

struct LocalToUtc {
  LocalKind kind = LocalKind::kUnique;
  // kUnique: the instant; kAmbiguous: the first of the two; kGap: the transition that opened
  // the gap, i.e. the first instant after it.
  UtcSeconds instant = 0;
};

// An IANA time zone read from a TZif file (RFC 8536, version 2 or later): the transitions
// of its table and the POSIX TZ footer that continues it past the table's end. Immutable
// and thread-safe once built.
class TimeZone {
 public:
  // Reads `<root>/<name>`. kInvalid for a name that is not a zone name (empty, absolute,
  // with '..' or characters outside [A-Za-z0-9_+-/]) or a file that is not a valid TZif
  // v2+ file; kNotFound when there is no such file.
  static base::Result<std::shared_ptr<const TimeZone>> Load(const std::string& name,
                                                            const std::string& root);
  // Parses TZif bytes (at most kMaxFileBytes). `name` is only kept for messages. Every count
  // and index is checked against the file's size, so a truncated or hostile file is refused
  // with kInvalid, never read past its end.
  static base::Result<std::shared_ptr<const TimeZone>> Parse(std::string_view data,
                                                             const std::string& name);
  // UTC itself, needing no file.
  static std::shared_ptr<const TimeZone> Utc();

  static constexpr size_t kMaxFileBytes = 1 << 20;

  const std::string& name() const { return name_; }

  // The offset in force at `instant`.
  ZoneOffset At(UtcSeconds instant) const;
  // The instant a local reading names; see LocalToUtc for gaps and repeats.
  LocalToUtc ToUtc(LocalSeconds local) const;
  // `instant` as RFC 3339 local time with its offset: "2026-12-05T06:00:00+01:00".
  std::string FormatLocal(UtcSeconds instant) const;

 private:
  struct Transition {
    UtcSeconds at;
    ZoneOffset offset;  // in force from `at`
  };

  TimeZone() = default;

  std::string name_;
  ZoneOffset initial_;                   // before the first transition
  std::vector<Transition> transitions_;  // strictly increasing `at`
  PosixRule footer_;                     // after the last transition (when footer_.valid)
};

}  // namespace ecsync::schedule
