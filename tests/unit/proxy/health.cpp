// Upstream health: passive ejection and re-admission, active "down", all-ejected -> nullptr,
// for every algorithm. Time is passed in explicitly.
#include <aileron/proxy/load_balancer.hpp>

#include <aileron/proxy/reverse_proxy.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>

namespace {

using namespace aileron;
using namespace aileron::proxy;
using clock_type = load_balancer::clock;
using namespace std::chrono_literals;

constexpr lb_algorithm all_algorithms[] = {lb_algorithm::round_robin, lb_algorithm::random, lb_algorithm::ring_hash,
                                           lb_algorithm::maglev, lb_algorithm::direct_hash};

/// Upstreams http://u<i>.test, all with enablePassive and the given interval.
load_balancer_spec spec_of(lb_algorithm algorithm, int count, std::int32_t interval = 2, bool active = false) {
    load_balancer_spec s;
    s.algorithm = algorithm;
    s.path_matcher = path_matcher_spec{.match = "/", .type = match_type::prefix};
    s.hasher = {hash_source::header, "X-Key"};
    for (int i = 0; i < count; ++i)
        s.upstreams.push_back({.url = "http://u" + std::to_string(i) + ".test", .enable_passive = !active,
                               .enable_active = active, .health_check_interval = interval});
    return s;
}

const upstream* pick_at(const load_balancer& lb, clock_type::time_point now, int key = 0) {
    request req{http::verb::get, "/"};
    req.set("X-Key", "key-" + std::to_string(key));
    return lb.pick(req, now);
}

/// The origins picked for 200 keys (and 200 turns of the round robin).
std::set<std::string> picked(const load_balancer& lb, clock_type::time_point now) {
    std::set<std::string> out;
    for (int k = 0; k < 200; ++k)
        if (const upstream* u = pick_at(lb, now, k)) out.insert(u->origin);
        else out.insert("");
    return out;
}

const upstream& by_origin(const load_balancer& lb, const std::string& origin) {
    for (auto& u : lb.upstreams())
        if (u.origin == origin) return u;
    FAIL("no upstream " << origin);
    return lb.upstreams().front();
}

}  // namespace

TEST_CASE("passive: N failures in a row eject an upstream; every algorithm skips it", "[proxy][health]") {
    for (lb_algorithm a : all_algorithms) {
        CAPTURE(static_cast<int>(a));
        load_balancer lb{spec_of(a, 2)};
        const auto t0 = clock_type::time_point{} + 1000s;
        const upstream& u0 = by_origin(lb, "http://u0.test");
        CHECK(picked(lb, t0) == std::set<std::string>{"http://u0.test", "http://u1.test"});

        // Failures below the threshold, or broken by a success, do not eject.
        for (std::uint32_t i = 0; i + 1 < load_balancer::failures_to_eject; ++i) load_balancer::report(u0, false, t0);
        load_balancer::report(u0, true, t0);
        for (std::uint32_t i = 0; i + 1 < load_balancer::failures_to_eject; ++i) load_balancer::report(u0, false, t0);
        CHECK(picked(lb, t0).contains("http://u0.test"));

        load_balancer::report(u0, false, t0);   // the Nth in a row
        CHECK(picked(lb, t0) == std::set<std::string>{"http://u1.test"});
        CHECK(picked(lb, t0 + 1999ms) == std::set<std::string>{"http://u1.test"});
    }
}

TEST_CASE("passive: after the interval one request is let through; success re-admits", "[proxy][health]") {
    for (lb_algorithm a : all_algorithms) {
        CAPTURE(static_cast<int>(a));
        load_balancer lb{spec_of(a, 2, 2)};
        const auto t0 = clock_type::time_point{} + 1000s;
        const upstream& u0 = by_origin(lb, "http://u0.test");
        for (std::uint32_t i = 0; i < load_balancer::failures_to_eject; ++i) load_balancer::report(u0, false, t0);

        // Half-open: exactly one request goes to u0 after the interval.
        const auto t1 = t0 + 2s;
        int to_u0 = 0;
        for (int k = 0; k < 200; ++k)
            if (const upstream* u = pick_at(lb, t1, k); u == &u0) ++to_u0;
        CHECK(to_u0 == 1);

        // Its failure ejects again at once, for another interval.
        load_balancer::report(u0, false, t1);
        CHECK(picked(lb, t1 + 1s) == std::set<std::string>{"http://u1.test"});

        // The next trial succeeds: u0 is back.
        const auto t2 = t1 + 2s;
        const upstream* trial = nullptr;
        for (int k = 0; k < 200 && !trial; ++k)
            if (const upstream* u = pick_at(lb, t2, k); u == &u0) trial = u;
        REQUIRE(trial == &u0);
        load_balancer::report(u0, true, t2);
        CHECK(picked(lb, t2) == std::set<std::string>{"http://u0.test", "http://u1.test"});
    }
}

TEST_CASE("passive: every upstream ejected -> nullptr; default interval is 10 s", "[proxy][health]") {
    for (lb_algorithm a : all_algorithms) {
        CAPTURE(static_cast<int>(a));
        load_balancer lb{spec_of(a, 3, 0)};
        const auto t0 = clock_type::time_point{} + 1000s;
        for (auto& u : lb.upstreams())
            for (std::uint32_t i = 0; i < load_balancer::failures_to_eject; ++i) load_balancer::report(u, false, t0);
        CHECK(picked(lb, t0) == std::set<std::string>{""});
        CHECK(picked(lb, t0 + 9s) == std::set<std::string>{""});
        CHECK(pick_at(lb, t0 + 10s) != nullptr);
    }
}

TEST_CASE("hash algorithms: a key moves only while its upstream is ejected", "[proxy][health]") {
    for (lb_algorithm a : {lb_algorithm::ring_hash, lb_algorithm::maglev, lb_algorithm::direct_hash}) {
        CAPTURE(static_cast<int>(a));
        load_balancer lb{spec_of(a, 4)};
        const auto t0 = clock_type::time_point{} + 1000s;
        std::vector<const upstream*> before;
        for (int k = 0; k < 200; ++k) before.push_back(pick_at(lb, t0, k));
        const upstream& u2 = by_origin(lb, "http://u2.test");
        for (std::uint32_t i = 0; i < load_balancer::failures_to_eject; ++i) load_balancer::report(u2, false, t0);
        for (int k = 0; k < 200; ++k) {
            const upstream* now = pick_at(lb, t0, k);
            CHECK(now != &u2);
            if (before[k] != &u2) CHECK(now == before[k]);   // other keys stay put
        }
        load_balancer::report(u2, true, t0);
        for (int k = 0; k < 200; ++k) CHECK(pick_at(lb, t0, k) == before[k]);
    }
}

TEST_CASE("active: a down upstream is skipped until a probe succeeds", "[proxy][health]") {
    for (lb_algorithm a : all_algorithms) {
        CAPTURE(static_cast<int>(a));
        load_balancer lb{spec_of(a, 2, 1, true)};
        REQUIRE(lb.actively_checked().size() == 2);
        const auto t0 = clock_type::time_point{} + 1000s;
        const upstream& u1 = by_origin(lb, "http://u1.test");
        CHECK(u1.health->probe_url == "http://u1.test/");
        u1.health->down = true;
        CHECK(picked(lb, t0) == std::set<std::string>{"http://u0.test"});
        // Passive reports do not touch an active-only upstream.
        load_balancer::report(u1, true, t0);
        CHECK(picked(lb, t0 + 1h) == std::set<std::string>{"http://u0.test"});
        u1.health->down = false;
        CHECK(picked(lb, t0) == std::set<std::string>{"http://u0.test", "http://u1.test"});
        lb.upstreams()[0].health->down = true;
        u1.health->down = true;
        CHECK(picked(lb, t0) == std::set<std::string>{""});
    }
}

TEST_CASE("upstreams without health settings are not checked", "[proxy][health]") {
    load_balancer_spec s = spec_of(lb_algorithm::round_robin, 2);
    for (auto& u : s.upstreams) u.enable_passive = false;
    load_balancer lb{s};
    for (auto& u : lb.upstreams()) CHECK(u.health == nullptr);
    CHECK(lb.actively_checked().empty());
}

TEST_CASE("probe_once: a refused port fails fast", "[proxy][health]") {
    CHECK_FALSE(probe_once("http://127.0.0.1:1/health", std::chrono::milliseconds{500}));
    CHECK_FALSE(probe_once("http://no-such-host.invalid/", std::chrono::milliseconds{500}));
}
