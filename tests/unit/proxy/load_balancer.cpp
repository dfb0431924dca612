#include <aileron/proxy/load_balancer.hpp>   // first: proves the header is self-contained

#include <aileron/config/source.hpp>
#include <aileron/core/url.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace aileron;
using namespace aileron::proxy;

constexpr lb_algorithm hash_algorithms[] = {lb_algorithm::ring_hash, lb_algorithm::maglev, lb_algorithm::direct_hash};

/// A balancer taking every path, with upstreams http://u<i>.test of the given weights, keyed by
/// header X-Key.
load_balancer_spec spec_of(lb_algorithm algorithm, std::vector<std::int32_t> weights,
                           hasher_spec hasher = {hash_source::header, "X-Key"}) {
    load_balancer_spec s;
    s.algorithm = algorithm;
    s.path_matcher = path_matcher_spec{.match = "/", .type = match_type::prefix};
    for (std::size_t i = 0; i < weights.size(); ++i)
        s.upstreams.push_back({.url = "http://u" + std::to_string(i) + ".test", .weight = weights[i]});
    s.hasher = std::move(hasher);
    return s;
}

/// The origin `lb` picks for a request with X-Key: `key` ("" when none).
std::string pick_for(const load_balancer& lb, const std::string& key) {
    request req{http::verb::get, "/"};
    req.set("X-Key", key);
    const upstream* u = lb.pick(req);
    return u ? u->origin : "";
}

std::map<std::string, int> spread(const load_balancer& lb, int keys) {
    std::map<std::string, int> out;
    for (int i = 0; i < keys; ++i) ++out[pick_for(lb, "key-" + std::to_string(i))];
    return out;
}

std::string name_of(lb_algorithm a) {
    for (auto& [name, value] : config::enum_traits<lb_algorithm>::values)
        if (value == a) return std::string{name};
    return "?";
}

}  // namespace

TEST_CASE("hash64 is xxHash64 with seed 0", "[proxy][lb]") {
    // Reference values from libxxhash 0.8.1 (XXH64(data, len, 0)).
    CHECK(hash64("") == 0xEF46DB3751D8E999ULL);
    CHECK(hash64("a") == 0xD24EC4F1A98C6E5BULL);
    CHECK(hash64("abc") == 0x44BC2CF5AD770999ULL);
    CHECK(hash64("127.0.0.1:1234") == 0x8DF867C9789DB1C1ULL);
    CHECK(hash64("http://127.0.0.1:8080") == 0x439A793E8245787BULL);
    CHECK(hash64("0123456789abcdef0123456789abcdef0123456789") == 0xA76190C3ACF08A1CULL);   // > 32 bytes
}

TEST_CASE("every algorithm spreads requests in proportion to the weights", "[proxy][lb]") {
    const auto algorithm = GENERATE(lb_algorithm::round_robin, lb_algorithm::random, lb_algorithm::ring_hash,
                                    lb_algorithm::maglev, lb_algorithm::direct_hash);
    INFO(name_of(algorithm));
    constexpr int keys = 20000;
    SECTION("1:3") {
        load_balancer lb{spec_of(algorithm, {1, 3})};
        auto counts = spread(lb, keys);
        CHECK(counts.size() == 2);
        CHECK(counts["http://u0.test"] / double(keys) == Approx(0.25).margin(0.025));
        CHECK(counts["http://u1.test"] / double(keys) == Approx(0.75).margin(0.025));
    }
    SECTION("1:1:1:1 and a weight 0, which counts as 1") {
        load_balancer lb{spec_of(algorithm, {1, 1, 0, 1})};
        auto counts = spread(lb, keys);
        CHECK(counts.size() == 4);
        for (auto& [origin, n] : counts) {
            INFO(origin);
            CHECK(n / double(keys) == Approx(0.25).margin(0.025));
        }
    }
    SECTION("2:5:13") {
        load_balancer lb{spec_of(algorithm, {2, 5, 13})};
        auto counts = spread(lb, keys);
        CHECK(counts["http://u0.test"] / double(keys) == Approx(0.10).margin(0.02));
        CHECK(counts["http://u1.test"] / double(keys) == Approx(0.25).margin(0.025));
        CHECK(counts["http://u2.test"] / double(keys) == Approx(0.65).margin(0.025));
    }
}

TEST_CASE("round robin serves each upstream weight times in a row", "[proxy][lb]") {
    load_balancer lb{spec_of(lb_algorithm::round_robin, {2, 1})};
    std::vector<std::string> seen;
    for (int i = 0; i < 6; ++i) seen.push_back(pick_for(lb, "same"));
    CHECK(seen == std::vector<std::string>{"http://u0.test", "http://u0.test", "http://u1.test", "http://u0.test",
                                           "http://u0.test", "http://u1.test"});
}

TEST_CASE("hash algorithms send the same key to the same upstream", "[proxy][lb]") {
    const auto algorithm = GENERATE(from_range(std::begin(hash_algorithms), std::end(hash_algorithms)));
    INFO(name_of(algorithm));
    const auto s = spec_of(algorithm, {1, 2, 3, 4});
    load_balancer lb{s};
    load_balancer rebuilt{s};   // the tables are a function of the config alone
    std::map<std::string, int> used;
    for (int i = 0; i < 500; ++i) {
        const std::string key = "user-" + std::to_string(i);
        const std::string first = pick_for(lb, key);
        ++used[first];
        for (int again = 0; again < 3; ++again) CHECK(pick_for(lb, key) == first);
        CHECK(pick_for(rebuilt, key) == first);
    }
    CHECK(used.size() == 4);   // and not by sending every key to one upstream
}

TEST_CASE("removing an upstream moves only about its share of keys", "[proxy][lb]") {
    const auto algorithm = GENERATE(from_range(std::begin(hash_algorithms), std::end(hash_algorithms)));
    INFO(name_of(algorithm));
    auto before_spec = spec_of(algorithm, {1, 1, 1, 1, 1});
    auto after_spec = before_spec;
    after_spec.upstreams.erase(after_spec.upstreams.begin() + 2);   // u2 goes
    load_balancer before{before_spec}, after{after_spec};
    constexpr int keys = 20000;
    int moved = 0, on_removed = 0;
    for (int i = 0; i < keys; ++i) {
        const std::string key = "key-" + std::to_string(i);
        const std::string a = pick_for(before, key), b = pick_for(after, key);
        CHECK(b != "http://u2.test");
        if (a == "http://u2.test") ++on_removed;
        else if (a != b) ++moved;
    }
    // The keys of u2 (a fifth) have to move; of the others, almost none may.
    CHECK(on_removed / double(keys) == Approx(0.2).margin(0.02));
    CHECK(moved / double(keys) < 0.02);
}

TEST_CASE("reordering the upstreams moves no key", "[proxy][lb]") {
    const auto algorithm = GENERATE(from_range(std::begin(hash_algorithms), std::end(hash_algorithms)));
    INFO(name_of(algorithm));
    auto spec = spec_of(algorithm, {1, 2, 3, 1, 1});
    auto reordered = spec;
    std::reverse(reordered.upstreams.begin(), reordered.upstreams.end());
    std::swap(reordered.upstreams[0], reordered.upstreams[2]);
    load_balancer a{spec}, b{reordered};
    int moved = 0;
    for (std::uint64_t i = 0; i < 200000; ++i) {   // Maglev differences would be rare: look at many keys
        const std::uint64_t h = hash64(std::string_view{reinterpret_cast<const char*>(&i), sizeof i});
        if (a.pick_hash(h)->origin != b.pick_hash(h)->origin) ++moved;
    }
    CHECK(moved == 0);
}

TEST_CASE("a disabled upstream is never chosen", "[proxy][lb]") {
    const auto algorithm = GENERATE(lb_algorithm::round_robin, lb_algorithm::random, lb_algorithm::ring_hash,
                                    lb_algorithm::maglev, lb_algorithm::direct_hash);
    INFO(name_of(algorithm));
    load_balancer lb{spec_of(algorithm, {1, -1, 1})};
    auto counts = spread(lb, 3000);
    CHECK(counts.count("http://u1.test") == 0);
    CHECK(counts.size() == 2);
    load_balancer none{spec_of(algorithm, {-1, -1})};
    CHECK(pick_for(none, "k").empty());
    load_balancer empty{spec_of(algorithm, {})};
    CHECK(pick_for(empty, "k").empty());
}

TEST_CASE("a hash balancer with only missing keys uses one upstream", "[proxy][lb]") {
    const auto algorithm = GENERATE(from_range(std::begin(hash_algorithms), std::end(hash_algorithms)));
    load_balancer lb{spec_of(algorithm, {1, 1, 1, 1})};
    request without{http::verb::get, "/"};
    const upstream* u = lb.pick(without);
    REQUIRE(u);
    CHECK(u == lb.pick_hash(hash64("")));
    for (int i = 0; i < 20; ++i) CHECK(lb.pick(without) == u);
}

TEST_CASE("the hasher reads the configured source", "[proxy][lb][hasher]") {
    SECTION("ClientAddr: ip:port of the connection, as Go's RemoteAddr") {
        request_hasher h{{hash_source::client_addr, ""}};
        request req{http::verb::get, "/"};
        req.context().remote = tcp::endpoint{asio::ip::make_address("192.0.2.7"), 40123};
        CHECK(h(req) == hash64("192.0.2.7:40123"));
        req.context().remote = tcp::endpoint{asio::ip::make_address("2001:db8::1"), 443};
        CHECK(h(req) == hash64("[2001:db8::1]:443"));
    }
    SECTION("Header: the first value, any case of the name") {
        request_hasher h{{hash_source::header, "x-user"}};
        request req{http::verb::get, "/"};
        CHECK(h(req) == hash64(""));
        req.insert("X-User", "alice");
        req.insert("X-User", "bob");
        CHECK(h(req) == hash64("alice"));
    }
    SECTION("Cookie: the value of the named cookie, quotes removed") {
        request_hasher h{{hash_source::cookie, "session"}};
        request req{http::verb::get, "/"};
        CHECK(h(req) == hash64(""));
        req.insert(http::field::cookie, "a=1; sessionx=no");
        CHECK(h(req) == hash64(""));
        req.insert(http::field::cookie, "b=2;  session=\"s3cr3t\" ; c=3");
        CHECK(h(req) == hash64("s3cr3t"));
        request invalid{http::verb::get, "/"};
        invalid.insert(http::field::cookie, "session=a\\b; session=ok");   // invalid values are skipped
        CHECK(h(invalid) == hash64("ok"));
    }
    SECTION("Query: the first decoded value") {
        request_hasher h{{hash_source::query, "user"}};
        request req{http::verb::get, "/p?other=1&us%65r=caf%C3%A9+au+lait&user=2"};
        CHECK(h(req) == hash64("caf\xC3\xA9 au lait"));
        request bad{http::verb::get, "/p?user=%zz&user=second"};   // a bad escape: the pair is skipped
        CHECK(h(bad) == hash64("second"));
        request none{http::verb::get, "/p?users=1"};
        CHECK(h(none) == hash64(""));
        request bare{http::verb::get, "/p?user"};
        CHECK(h(bare) == hash64(""));
    }
    SECTION("PathParam: the router's wildcard value") {
        request_hasher h{{hash_source::path_param, "id"}};
        request req{http::verb::get, "/items/42"};
        CHECK(h(req) == hash64(""));
        req.context().params = {{"kind", "items"}, {"id", "42"}};
        CHECK(h(req) == hash64("42"));
    }
}

TEST_CASE("a hash balancer keys on its hasher's source", "[proxy][lb][hasher]") {
    load_balancer lb{spec_of(lb_algorithm::maglev, {1, 1, 1, 1}, {hash_source::cookie, "sid"})};
    std::map<std::string, int> used;
    for (int i = 0; i < 200; ++i) {
        request req{http::verb::get, "/"};
        req.set("X-Key", "constant");   // not the configured source: ignored
        req.set(http::field::cookie, "sid=" + std::to_string(i));
        const upstream* u = lb.pick(req);
        REQUIRE(u);
        CHECK(u == lb.pick_hash(hash64(std::to_string(i))));
        ++used[u->origin];
    }
    CHECK(used.size() == 4);
}

//----------------------------------------------------------------------------------------------
// Param matchers

namespace {

load_balancer_spec matching_spec() {
    load_balancer_spec s = spec_of(lb_algorithm::round_robin, {1});
    return s;
}

bool takes(const load_balancer& lb, request& req) {
    std::string upstream_path;
    return lb.matches(req, url::split_target(req.target()).path, upstream_path);
}

}  // namespace

TEST_CASE("header matchers join the values with commas; a missing header does not match", "[proxy][lb][matcher]") {
    auto s = matching_spec();
    s.header_matchers.push_back({.key = "x-env", .patterns = {"prod", "stage,canary"}});
    load_balancer lb{s};
    request none{http::verb::get, "/"};
    CHECK_FALSE(takes(lb, none));
    request prod{http::verb::get, "/"};
    prod.set("X-Env", "prod");
    CHECK(takes(lb, prod));
    request other{http::verb::get, "/"};
    other.set("X-Env", "dev");
    CHECK_FALSE(takes(lb, other));
    request two{http::verb::get, "/"};
    two.insert("X-Env", "stage");
    two.insert("X-Env", "canary");
    CHECK(takes(lb, two));
    request empty{http::verb::get, "/"};   // present but empty: matched against ""
    empty.set("X-Env", "");
    CHECK_FALSE(takes(lb, empty));
    s.header_matchers[0].patterns.push_back("");
    CHECK(takes(load_balancer{s}, empty));
}

TEST_CASE("query matchers use the decoded values joined with commas", "[proxy][lb][matcher]") {
    auto s = matching_spec();
    s.query_matchers.push_back({.key = "v", .patterns = {"^1(,2)?$"}, .type = config::match_type::regex});
    load_balancer lb{s};
    request one{http::verb::get, "/?v=1"};
    CHECK(takes(lb, one));
    request both{http::verb::get, "/?v=1&x=0&v=%32"};
    CHECK(takes(lb, both));
    request three{http::verb::get, "/?v=1&v=2&v=3"};
    CHECK_FALSE(takes(lb, three));
    request missing{http::verb::get, "/?w=1"};
    CHECK_FALSE(takes(lb, missing));
    request no_query{http::verb::get, "/"};
    CHECK_FALSE(takes(lb, no_query));
}

TEST_CASE("path param matchers need a non-empty wildcard value", "[proxy][lb][matcher]") {
    auto s = matching_spec();
    s.path_param_matchers.push_back({.key = "id", .patterns = {"1*"}, .type = config::match_type::path});
    load_balancer lb{s};
    request req{http::verb::get, "/items/123"};
    CHECK_FALSE(takes(lb, req));
    req.context().params = {{"id", "123"}};
    CHECK(takes(lb, req));
    req.context().params = {{"id", "23"}};
    CHECK_FALSE(takes(lb, req));
}

TEST_CASE("param matchers are ANDed, and one without a key is ignored", "[proxy][lb][matcher]") {
    auto s = matching_spec();
    s.header_matchers.push_back({.key = "X-A", .patterns = {"a"}});
    s.query_matchers.push_back({.key = "b", .patterns = {"b"}, .type = config::match_type::prefix});
    s.query_matchers.push_back({.key = "", .patterns = {"never"}});
    load_balancer lb{s};
    request both{http::verb::get, "/?b=bee"};
    both.set("X-A", "a");
    CHECK(takes(lb, both));
    request header_only{http::verb::get, "/?c=b"};
    header_only.set("X-A", "a");
    CHECK_FALSE(takes(lb, header_only));
    request query_only{http::verb::get, "/?b=b"};
    CHECK_FALSE(takes(lb, query_only));
    // The path matchers still apply after the param matchers.
    s.path_matcher = path_matcher_spec{.match = "/only", .type = match_type::exact};
    CHECK_FALSE(takes(load_balancer{s}, both));
}

//----------------------------------------------------------------------------------------------
// Config

namespace {

std::vector<std::string> problems_of(const std::string& yaml) {
    config::diagnostics diag;
    auto docs = config::parse_documents(yaml, "lb.yaml", config::format::yaml, diag);
    REQUIRE(diag.ok());
    REQUIRE(docs.size() == 1);
    load_balancer_spec s;
    config::decode(docs[0].root, s, diag, "core/v1/ReverseProxyHandler/default/p", "spec.loadBalancers[0]");
    std::vector<std::string> out;
    for (auto& p : diag.problems()) out.push_back(p.path + ": " + p.message);
    return out;
}

}  // namespace

TEST_CASE("hash algorithms, hashers and param matchers load from config", "[proxy][lb][config]") {
    CHECK(problems_of(R"(
lbAlgorithm: Maglev
hasher: {hashSource: Query, key: user}
upstreams: [{url: "http://a.test"}]
pathMatcher: {match: "/", matchType: Prefix}
pathParamMatchers: [{key: id, patterns: ["[0-9]*"], matchType: Path}]
headerMatchers: [{key: X-Env, patterns: [prod]}]
queryMatchers: [{key: v, patterns: ["^2$"], matchType: Regex}]
)") == std::vector<std::string>{});
    for (auto name : {"RingHash", "DirectHash"})
        CHECK(problems_of(std::string{"lbAlgorithm: "} + name + "\n").empty());
}

TEST_CASE("a param matcher pattern that does not compile is rejected at its path", "[proxy][lb][config]") {
    auto problems = problems_of(R"(
headerMatchers: [{key: X-Env, patterns: [ok, "("], matchType: Regex}]
queryMatchers: [{key: v, patterns: ["[a"], matchType: Path}]
)");
    REQUIRE(problems.size() == 2);
    CHECK(problems[0].starts_with("spec.loadBalancers[0].headerMatchers[0].patterns[1]: "));
    CHECK(problems[1].starts_with("spec.loadBalancers[0].queryMatchers[0].patterns[0]: "));
}
