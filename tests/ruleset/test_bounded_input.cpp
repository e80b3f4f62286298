// Bounded input (ruleset/bounded_input.hpp) and the loader behind it: FIFOs, devices,
// directories and oversized files are refused at once, naming the problem; JSON nesting
// deeper than the limit is refused naming the limit, never a stack overflow.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "ruleset/bounded_input.hpp"
#include "ruleset/loader.hpp"

namespace vpcfw {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
    return fs::temp_directory_path() / ("vpcfw-bounded-" + std::to_string(::getpid()) + "-" + name);
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(BoundedInput, ReadsARegularFile) {
    fs::path p = temp_path("ok.json");
    std::ofstream(p) << "{\"Vpcs\": []}";
    auto r = read_input_file(p.string());
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, "{\"Vpcs\": []}");
    fs::remove(p);
}

TEST(BoundedInput, RefusesAFifoWithoutWaiting) {
    fs::path p = temp_path("fifo");
    ASSERT_EQ(mkfifo(p.c_str(), 0600), 0);
    auto r = read_input_file(p.string());  // would block for good if opened for reading
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "a FIFO, not a regular file");
    auto n = load_network(p.string());
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().str().find("a FIFO, not a regular file"), std::string::npos) << n.error().str();
    fs::remove(p);
}

TEST(BoundedInput, RefusesDevicesAndDirectories) {
    auto z = read_input_file("/dev/zero");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error().message, "a character device, not a regular file");
    EXPECT_EQ(z.error().file, "/dev/zero");
    auto d = read_input_file(fs::temp_directory_path().string());
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message, "a directory, not a file");
    auto n = load_network("/dev/zero");
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().str(), "/dev/zero: a character device, not a regular file");
}

TEST(BoundedInput, RefusesAFileOverTheLimit) {
    fs::path p = temp_path("big.json");
    std::ofstream(p) << std::string(2000, ' ');
    auto r = read_input_file(p.string(), 1024);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "2000 bytes, over the 1 KiB limit for input files");
    // The default limit, on a sparse file (nothing is read).
    fs::resize_file(p, kMaxInputFileBytes + 1);
    auto n = load_network(p.string());
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().message.find("over the 1 GiB limit for input files"), std::string::npos) << n.error().str();
    fs::remove(p);
}

TEST(BoundedInput, JsonDepthLimit) {
    EXPECT_EQ(parse_json_bounded(nested(kMaxJsonDepth)).size(), 1u);
    EXPECT_THROW(parse_json_bounded(nested(kMaxJsonDepth + 1)), JsonTooDeep);
    try {
        parse_json_bounded("{\"a\":" + nested(100000) + "}");
        FAIL() << "accepted 100,000 levels";
    } catch (const JsonTooDeep& e) {
        EXPECT_STREQ(e.what(), "JSON nests deeper than the limit of 128 levels");
    }
    // Malformed text is still json's parse_error.
    EXPECT_THROW(parse_json_bounded("{"), nlohmann::json::parse_error);
}

TEST(BoundedInput, LoaderRefusesDeepJson) {
    std::string text = "{\"Vpcs\": [{\"Tags\": " + nested(100000) + "}]}";
    auto n = load_network_text(text, "<deep>");
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().str(), "<deep>: JSON nests deeper than the limit of 128 levels");
    fs::path p = temp_path("deep.json");
    std::ofstream(p) << text;
    auto f = load_network(p.string());
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().str().find("deeper than the limit of 128 levels"), std::string::npos);
    fs::remove(p);
}

TEST(BoundedInput, ByteSizeText) {
    EXPECT_EQ(byte_size_text(16u << 20), "16 MiB");
    EXPECT_EQ(byte_size_text(size_t{1} << 30), "1 GiB");
    EXPECT_EQ(byte_size_text(1000), "1000 bytes");
    EXPECT_EQ(byte_size_text(1536), "1536 bytes");
}

} // namespace
} // namespace vpcfw
