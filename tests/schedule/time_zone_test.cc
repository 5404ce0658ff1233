// The TZif reader against the system's tzdata (/usr/share/zoneinfo). The expected instants
// follow the zones' rules: Europe/Berlin changes at 01:00 UTC on the last Sundays of March
// and October, America/New_York at 02:00 local time on the second Sunday of March and the
// first Sunday of November (what `TZ=Europe/Berlin date -d @SECONDS` prints).

#include "schedule/time_zone.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/file.h"
#include "tests/schedule/test_time.h"

namespace ecsync::schedule {
namespace {

using testing::Local;
using testing::Utc;

std::shared_ptr<const TimeZone> Zone(const std::string& name) {
  auto zone = TimeZone::Load(name, kDefaultZoneinfoRoot);
  EXPECT_TRUE(zone.ok()) << zone.status().message();
  return zone.ok() ? *zone : TimeZone::Utc();
}

TEST(TimeZone, BerlinOffsetsAcrossBothChanges) {
  auto berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin->At(Utc("2026-03-29T00:59:59Z")).utc_offset, 3600);
  EXPECT_EQ(berlin->At(Utc("2026-03-29T01:00:00Z")).utc_offset, 7200);
  EXPECT_TRUE(berlin->At(Utc("2026-03-29T01:00:00Z")).is_dst);
  EXPECT_EQ(berlin->At(Utc("2026-10-25T00:59:59Z")).utc_offset, 7200);
  EXPECT_EQ(berlin->At(Utc("2026-10-25T01:00:00Z")).utc_offset, 3600);
  // Past the table (fat files end in 2037): the POSIX footer "CET-1CEST,M3.5.0,M10.5.0/3".
  EXPECT_EQ(berlin->At(Utc("2040-03-25T00:59:59Z")).utc_offset, 3600);
  EXPECT_EQ(berlin->At(Utc("2040-03-25T01:00:00Z")).utc_offset, 7200);
  EXPECT_EQ(berlin->At(Utc("2040-10-28T00:59:59Z")).utc_offset, 7200);
  EXPECT_EQ(berlin->At(Utc("2040-10-28T01:00:00Z")).utc_offset, 3600);
}

TEST(TimeZone, NewYorkOffsetsAcrossBothChanges) {
  auto york = Zone("America/New_York");
  EXPECT_EQ(york->At(Utc("2026-03-08T06:59:59Z")).utc_offset, -5 * 3600);
  EXPECT_EQ(york->At(Utc("2026-03-08T07:00:00Z")).utc_offset, -4 * 3600);
  EXPECT_EQ(york->At(Utc("2026-11-01T05:59:59Z")).utc_offset, -4 * 3600);
  EXPECT_EQ(york->At(Utc("2026-11-01T06:00:00Z")).utc_offset, -5 * 3600);
  EXPECT_EQ(york->At(Utc("2045-03-12T07:00:00Z")).utc_offset, -4 * 3600);
  EXPECT_EQ(york->At(Utc("2045-03-12T06:59:59Z")).utc_offset, -5 * 3600);
}

TEST(TimeZone, LocalToUtcInBerlin) {
  auto berlin = Zone("Europe/Berlin");
  LocalToUtc plain = berlin->ToUtc(Local("2026-12-04T22:00:00"));
  EXPECT_EQ(plain.kind, LocalKind::kUnique);
  EXPECT_EQ(plain.instant, Utc("2026-12-04T21:00:00Z"));
  EXPECT_EQ(berlin->ToUtc(Local("2026-07-03T22:00:00")).instant, Utc("2026-07-03T20:00:00Z"));
  // Spring forward: 02:00-02:59 does not exist; the first instant after the gap is 03:00 CEST.
  LocalToUtc gap = berlin->ToUtc(Local("2026-03-29T02:30:00"));
  EXPECT_EQ(gap.kind, LocalKind::kGap);
  EXPECT_EQ(gap.instant, Utc("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin->ToUtc(Local("2026-03-29T03:00:00")).instant, Utc("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin->ToUtc(Local("2026-03-29T01:59:00")).instant, Utc("2026-03-29T00:59:00Z"));
  // Fall back: 02:00-02:59 happens twice (CEST, then CET); the first occurrence counts.
  LocalToUtc twice = berlin->ToUtc(Local("2026-10-25T02:30:00"));
  EXPECT_EQ(twice.kind, LocalKind::kAmbiguous);
  EXPECT_EQ(twice.instant, Utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(berlin->ToUtc(Local("2026-10-25T03:00:00")).instant, Utc("2026-10-25T02:00:00Z"));
}

TEST(TimeZone, LocalToUtcInNewYork) {
  auto york = Zone("America/New_York");
  LocalToUtc gap = york->ToUtc(Local("2026-03-08T02:30:00"));
  EXPECT_EQ(gap.kind, LocalKind::kGap);
  EXPECT_EQ(gap.instant, Utc("2026-03-08T07:00:00Z"));
  LocalToUtc twice = york->ToUtc(Local("2026-11-01T01:30:00"));
  EXPECT_EQ(twice.kind, LocalKind::kAmbiguous);
  EXPECT_EQ(twice.instant, Utc("2026-11-01T05:30:00Z"));
  EXPECT_EQ(york->ToUtc(Local("2026-11-01T02:30:00")).instant, Utc("2026-11-01T07:30:00Z"));
  // Past the table.
  EXPECT_EQ(york->ToUtc(Local("2045-03-12T02:30:00")).kind, LocalKind::kGap);
  EXPECT_EQ(york->ToUtc(Local("2045-11-05T01:30:00")).instant, Utc("2045-11-05T05:30:00Z"));
}

TEST(TimeZone, FormatsLocalTimeWithItsOffset) {
  auto berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin->FormatLocal(Utc("2026-12-05T05:00:00Z")), "2026-12-05T06:00:00+01:00");
  EXPECT_EQ(berlin->FormatLocal(Utc("2026-07-05T05:00:00Z")), "2026-07-05T07:00:00+02:00");
  auto york = Zone("America/New_York");
  EXPECT_EQ(york->FormatLocal(Utc("2026-12-05T05:00:00Z")), "2026-12-05T00:00:00-05:00");
  auto kolkata = Zone("Asia/Kolkata");
  EXPECT_EQ(kolkata->FormatLocal(Utc("2026-12-05T05:00:00Z")), "2026-12-05T10:30:00+05:30");
}

TEST(TimeZone, RefusesBadNamesAndMissingZones) {
  EXPECT_EQ(TimeZone::Load("Mars/Olympus", kDefaultZoneinfoRoot).status().kind(),
            base::ErrorKind::kNotFound);
  for (const char* name : {"", "../etc/passwd", "/etc/passwd", "Europe/../UTC", "a b"}) {
    auto zone = TimeZone::Load(name, kDefaultZoneinfoRoot);
    EXPECT_EQ(zone.status().kind(), base::ErrorKind::kInvalid) << name;
  }
}

std::string RealBerlin() {
  auto data = base::ReadWholeFile(std::string(kDefaultZoneinfoRoot) + "/Europe/Berlin");
  EXPECT_TRUE(data.ok());
  return data.ok() ? *data : "";
}

TEST(TimeZone, RefusesMalformedFiles) {
  const std::string good = RealBerlin();
  ASSERT_TRUE(TimeZone::Parse(good, "Europe/Berlin").ok());
  auto refused = [](const std::string& data) {
    auto zone = TimeZone::Parse(data, "X");
    return zone.ok() ? std::string("accepted") : zone.status().message();
  };
  EXPECT_NE(refused("").find("not a TZif file"), std::string::npos);
  EXPECT_NE(refused("TZxf" + good.substr(4)).find("not a TZif file"), std::string::npos);
  // Every truncation is refused, none is read past its end.
  for (size_t size = 0; size + 1 < good.size(); size += 7) {
    EXPECT_NE(refused(good.substr(0, size)), "accepted") << size;
  }
  std::string v1 = good;
  v1[4] = '\0';
  EXPECT_NE(refused(v1).find("version 1"), std::string::npos);
  std::string huge = good;  // timecnt of the first header: 0xffffffff
  for (int i = 32; i < 36; ++i) huge[i] = '\xff';
  EXPECT_NE(refused(huge).find("out of range"), std::string::npos);
  std::string bad_footer = good;
  bad_footer.replace(bad_footer.size() - 5, 4, "XX,Q");
  EXPECT_NE(refused(bad_footer).find("footer"), std::string::npos);
  // Flipping any one byte never crashes; what is accepted still answers.
  for (size_t i = 0; i < good.size(); i += 3) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    auto zone = TimeZone::Parse(flipped, "X");
    if (zone.ok()) (void)(*zone)->ToUtc(Local("2026-03-29T02:30:00"));
  }
}

TEST(TimeZone, RootIsConfigurable) {
  const std::string root = ::testing::TempDir() + "/zoneinfo-test";
  ASSERT_EQ(std::system(("mkdir -p " + root + "/Test").c_str()), 0);
  std::ofstream(root + "/Test/Zone", std::ios::binary) << RealBerlin();
  auto zone = TimeZone::Load("Test/Zone", root);
  ASSERT_TRUE(zone.ok()) << zone.status().message();
  EXPECT_EQ((*zone)->name(), "Test/Zone");
  EXPECT_EQ((*zone)->At(Utc("2026-07-01T00:00:00Z")).utc_offset, 7200);
  std::ofstream(root + "/Test/Broken", std::ios::binary) << "TZif2 and nothing else";
  auto broken = TimeZone::Load("Test/Broken", root);
  EXPECT_EQ(broken.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(broken.status().message().find(root + "/Test/Broken"), std::string::npos);
}

TEST(PosixRule, SouthernHemisphereAndJulianDates) {
  // Sydney: AEST-10, daylight saving from the first Sunday of October to the first Sunday of
  // April (at 02:00 standard, 03:00 daylight).
  auto sydney = PosixRule::Parse("AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(sydney.ok()) << sydney.status().message();
  EXPECT_EQ(sydney->At(Utc("2026-01-15T00:00:00Z")).utc_offset, 11 * 3600);
  EXPECT_EQ(sydney->At(Utc("2026-07-15T00:00:00Z")).utc_offset, 10 * 3600);
  auto quoted = PosixRule::Parse("<+0330>-3:30");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->At(0).utc_offset, 3 * 3600 + 1800);
  auto julian = PosixRule::Parse("XST5XDT,J60/0,J300/0");
  ASSERT_TRUE(julian.ok());
  EXPECT_EQ(julian->At(Utc("2028-03-01T05:00:00Z")).utc_offset, -4 * 3600);  // Mar 1, leap year
  EXPECT_EQ(julian->At(Utc("2028-02-29T04:59:59Z")).utc_offset, -5 * 3600);
  for (const char* bad : {"E5", "EST", "EST5EDT", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0",
                          "EST99", "EST5EDT,J0,J5"}) {
    EXPECT_FALSE(PosixRule::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ecsync::schedule
