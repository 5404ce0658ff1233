#include "base/hash.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

TEST(Hash, Sha256OfKnownStrings) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hash, HexDecodeTakesEitherCaseAndRefusesAnythingElse) {
  EXPECT_EQ(HexDecode("00ff7Fa0"), std::string("\x00\xff\x7f\xa0", 4));
  EXPECT_EQ(HexDecode(""), "");
  EXPECT_EQ(HexDecode(Sha256Hex("abc")), Sha256("abc"));
  EXPECT_FALSE(HexDecode("abc"));  // odd length
  EXPECT_FALSE(HexDecode("0g"));
  EXPECT_FALSE(HexDecode(" 0"));
}

}  // namespace
}  // namespace ecsync::base
