#include <aileron/core/request_ids.hpp>   // first: proves the header is self-contained

#include <catch2/catch.hpp>

#include <string>

using aileron::request_ids;

TEST_CASE("request IDs start empty", "[core][request_ids]") {
    request_ids ids;
    CHECK(ids.empty());
    CHECK(ids.request().empty());
    CHECK(ids.trace().empty());
}

TEST_CASE("clear empties the IDs and keeps the trace ID's storage for the next request", "[core][request_ids]") {
    request_ids ids;
    const std::string trace(100, 'x');
    ids.assign("R1", trace);
    CHECK(ids.request() == "R1");
    const char* storage = ids.trace().data();
    ids.clear();
    CHECK(ids.empty());
    CHECK(ids.request().empty());
    CHECK(ids.trace().empty());
    ids.assign(std::string(60, 'r'), std::string(90, 'y'));
    CHECK(ids.request() == std::string(48, 'r'));   // cut at max_request_id
    CHECK(ids.trace() == std::string(90, 'y'));
    CHECK(ids.trace().data() == storage);           // no new allocation
    ids.assign(ids.request(), ids.request());       // views of its own
    CHECK(ids.trace() == std::string(48, 'r'));
}
