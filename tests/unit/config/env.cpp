#include <aileron/config/source.hpp>   // first: the header is self-contained

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace aileron::config;
namespace fs = std::filesystem;

namespace {

/// Sets the variables the substitution tests read, and removes them again.
struct env_fixture {
    env_fixture()
    {
        ::setenv("AT_SET", "hello", 1);
        ::setenv("AT_EMPTY", "", 1);
        ::unsetenv("AT_UNSET");
        ::setenv("AT_PATH", "/usr/local/bin/tool", 1);
        ::setenv("AT_MIXED", "hElLo WoRlD", 1);
        ::setenv("AT_UTF8", "h\xC3\xA9llo", 1);   // hello with é: 5 characters, 6 bytes
        ::setenv("AT_INNER", "SET", 1);
        ::setenv("AT_PFX_B", "1", 1);
        ::setenv("AT_PFX_A", "2", 1);
    }
    ~env_fixture()
    {
        for (auto name : {"AT_SET", "AT_EMPTY", "AT_UNSET", "AT_PATH", "AT_MIXED", "AT_UTF8", "AT_INNER", "AT_PFX_B",
                          "AT_PFX_A", "AT_NEW", "AT_NEW2"})
            ::unsetenv(name);
    }

    std::string expand(std::string_view text)
    {
        return expand_env(text, mark{std::make_shared<const std::string>("t.yaml"), 1, 1}, diag);
    }

    diagnostics diag;
};

std::string
env_or(const char* name, const char* fallback = "<unset>")
{
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

}  // namespace

TEST_CASE_METHOD(env_fixture, "${V} gives the value, or nothing when unset", "[config][env]")
{
    CHECK(expand("a ${AT_SET} b") == "a hello b");
    CHECK(expand("[${AT_UNSET}]") == "[]");
    CHECK(expand("[${AT_EMPTY}]") == "[]");
    CHECK(diag.ok());
}

TEST_CASE_METHOD(env_fixture, "${V:-w} and ${V-w} give a default", "[config][env]")
{
    CHECK(expand("${AT_SET:-d}") == "hello");
    CHECK(expand("${AT_EMPTY:-d}") == "d");
    CHECK(expand("${AT_UNSET:-d}") == "d");
    CHECK(expand("${AT_SET-d}") == "hello");
    CHECK(expand("[${AT_EMPTY-d}]") == "[]");
    CHECK(expand("${AT_UNSET-d}") == "d");
    CHECK(expand("${AT_UNSET:-a b:c/d}") == "a b:c/d");
    CHECK(expand("${AT_UNSET:-{}}") == "{}");   // balanced braces belong to the word
}

TEST_CASE_METHOD(env_fixture, "${V:=w} and ${V=w} also assign the default", "[config][env]")
{
    CHECK(expand("${AT_NEW:=first}") == "first");
    CHECK(env_or("AT_NEW") == "first");
    CHECK(expand("${AT_NEW:=second}") == "first");
    CHECK(expand("${AT_EMPTY:=filled}") == "filled");
    CHECK(env_or("AT_EMPTY") == "filled");

    ::setenv("AT_EMPTY", "", 1);
    CHECK(expand("[${AT_EMPTY=x}]") == "[]");   // set but empty: stays empty
    CHECK(env_or("AT_EMPTY") == "");
    CHECK(expand("${AT_NEW2=y}") == "y");
    CHECK(env_or("AT_NEW2") == "y");
}

TEST_CASE_METHOD(env_fixture, "${V:?w} reports a problem at the line of the expression", "[config][env]")
{
    const std::string out = expand("a: 1\nb: x${AT_UNSET:?set AT_UNSET please}\n");
    CHECK(out == "a: 1\nb: x\n");
    REQUIRE(diag.problems().size() == 1);
    const problem& p = diag.problems()[0];
    CHECK(p.message == "AT_UNSET: set AT_UNSET please");
    CHECK(p.where.line == 2);
    CHECK(p.where.column == 5);
    CHECK(p.to_string() == "t.yaml:2:5: AT_UNSET: set AT_UNSET please");
}

TEST_CASE_METHOD(env_fixture, "${V:?w} fails on empty values and ${V?w} only on unset ones", "[config][env]")
{
    CHECK(expand("${AT_SET:?w}") == "hello");
    CHECK(expand("${AT_SET?w}") == "hello");
    CHECK(expand("[${AT_EMPTY?w}]") == "[]");
    CHECK(diag.ok());
    expand("${AT_EMPTY:?}");
    expand("${AT_UNSET?gone}");
    REQUIRE(diag.problems().size() == 2);
    CHECK(diag.problems()[0].message == "AT_EMPTY: parameter null or not set");
    CHECK(diag.problems()[1].message == "AT_UNSET: gone");
}

TEST_CASE_METHOD(env_fixture, "marks of substitution problems count from the start mark", "[config][env]")
{
    expand_env("x\n  ${AT_UNSET:?no}", mark{nullptr, 10, 3}, diag);
    expand_env("ab${AT_UNSET:?no}", mark{nullptr, 10, 3}, diag);
    REQUIRE(diag.problems().size() == 2);
    CHECK(diag.problems()[0].where.line == 11);
    CHECK(diag.problems()[0].where.column == 3);
    CHECK(diag.problems()[1].where.line == 10);
    CHECK(diag.problems()[1].where.column == 5);   // first line: shifted by the start column
}

TEST_CASE_METHOD(env_fixture, "${V:+w} and ${V+w} give the word when the variable is set", "[config][env]")
{
    CHECK(expand("${AT_SET:+w}") == "w");
    CHECK(expand("[${AT_EMPTY:+w}]") == "[]");
    CHECK(expand("[${AT_UNSET:+w}]") == "[]");
    CHECK(expand("${AT_SET+w}") == "w");
    CHECK(expand("${AT_EMPTY+w}") == "w");
    CHECK(expand("[${AT_UNSET+w}]") == "[]");
}

TEST_CASE_METHOD(env_fixture, "${V:off} and ${V:off:len} cut by characters", "[config][env]")
{
    CHECK(expand("${AT_SET:1}") == "ello");
    CHECK(expand("${AT_SET:1:3}") == "ell");
    CHECK(expand("${AT_SET:0:99}") == "hello");
    CHECK(expand("[${AT_SET:9}]") == "[]");
    CHECK(expand("${AT_SET:-1}") == "hello");   // `:-` is the default form, as in bash
    CHECK(expand("${AT_UTF8:1:2}") == "\xC3\xA9l");
    CHECK(diag.ok());
    CHECK(expand("[${AT_SET:x}]") == "[]");
    REQUIRE(diag.problems().size() == 1);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("${AT_SET:x}") && Catch::Contains("offset"));
}

TEST_CASE_METHOD(env_fixture, "${#V} counts characters and ${!P*} lists names", "[config][env]")
{
    CHECK(expand("${#AT_SET}") == "5");
    CHECK(expand("${#AT_UTF8}") == "5");
    CHECK(expand("${#AT_UNSET}") == "0");
    CHECK(expand("${!AT_PFX_*}") == "AT_PFX_A AT_PFX_B");
    CHECK(expand("${!AT_PFX_@}") == "AT_PFX_A AT_PFX_B");
    CHECK(expand("[${!AT_NOTHING_*}]") == "[]");
}

TEST_CASE_METHOD(env_fixture, "${V#re} and ${V%re} strip the longest matching prefix or suffix", "[config][env]")
{
    CHECK(expand("${AT_PATH#/[a-z]*}") == "/local/bin/tool");
    CHECK(expand("${AT_PATH##.*/}") == "tool");
    CHECK(expand("${AT_PATH#nomatch}") == "/usr/local/bin/tool");
    CHECK(expand("${AT_PATH%/[a-z]*}") == "/usr/local/bin");
    CHECK(expand("${AT_PATH%%/b.*}") == "/usr/local");
    CHECK(expand("${AT_SET%(lo|llo)}") == "he");   // POSIX: the longest alternative wins
}

TEST_CASE_METHOD(env_fixture, "${V/re/s} forms replace the first, all, prefix or suffix match", "[config][env]")
{
    CHECK(expand("${AT_SET/l/L}") == "heLlo");
    CHECK(expand("${AT_SET//l/L}") == "heLLo");
    CHECK(expand("${AT_SET//[aeiou]/_}") == "h_ll_");
    CHECK(expand("${AT_SET/#he/HE}") == "HEllo");
    CHECK(expand("${AT_SET/#lo/X}") == "hello");
    CHECK(expand("${AT_SET/%lo/LO}") == "helLO");
    CHECK(expand("${AT_SET/x/y}") == "hello");
    CHECK(diag.ok());
    expand("${AT_SET/l}");
    expand("${AT_SET/(/x}");
    CHECK(diag.problems().size() == 2);
}

TEST_CASE_METHOD(env_fixture, "case forms convert the first or all matching characters", "[config][env]")
{
    CHECK(expand("${AT_SET^}") == "Hello");
    CHECK(expand("${AT_SET^^}") == "HELLO");
    CHECK(expand("${AT_SET^^[lo]}") == "heLLO");
    CHECK(expand("${AT_SET^[a-g]}") == "hello");   // first character h does not match
    CHECK(expand("${AT_MIXED,}") == "hElLo WoRlD");
    CHECK(expand("${AT_MIXED,,}") == "hello world");
    CHECK(expand("${AT_MIXED,,[A-L]}") == "hello WoRld");
    CHECK(expand("${AT_SET@U}") == "HELLO");
    CHECK(expand("${AT_SET@u}") == "Hello");
    CHECK(expand("${AT_MIXED@L}") == "hello world");
    CHECK(expand("${AT_MIXED@l}") == "hElLo WoRlD");
    CHECK(expand("[${AT_EMPTY@U}]") == "[]");
    CHECK(diag.ok());
    expand("${AT_SET@}");
    CHECK(diag.problems().size() == 1);
}

TEST_CASE_METHOD(env_fixture, "one level of nesting is resolved", "[config][env]")
{
    CHECK(expand("${AT_${AT_INNER}}") == "hello");
    CHECK(expand("${AT_UNSET:-${AT_SET}}") == "hello");   // inner first, then the outer one
    CHECK(expand("${AT_${AT_${AT_INNER}}}") == "${AT_hello}");  // two passes only: the outer one stays
}

TEST_CASE_METHOD(env_fixture, "text that is not an expression is left alone", "[config][env]")
{
    CHECK(expand("$AT_SET and $$ and $") == "$AT_SET and $$ and $");
    CHECK(expand("cost: ${") == "cost: ${");
    CHECK(expand("${AT_SET") == "${AT_SET");
    CHECK(expand("${}") == "${}");
    CHECK(expand("${-x}") == "${-x}");
    CHECK(expand("${AT_SET:-a\nb}") == "${AT_SET:-a\nb}");   // never spans lines
    CHECK(expand("\\${AT_SET}") == "\\hello");             // no escaping, as in AILERON
    CHECK(diag.ok());
}

//----------------------------------------------------------------------------------------------
// Env files

namespace {

/// An env file under /tmp, removed when the test ends.
class env_file {
public:
    explicit env_file(std::string_view text)
    {
        std::string templ = (fs::temp_directory_path() / "aileron-env-test-XXXXXX").string();
        const int fd = ::mkstemp(templ.data());
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = templ;
        std::ofstream(path_, std::ios::binary) << text;
    }
    ~env_file() { std::remove(path_.c_str()); }
    env_file(const env_file&) = delete;
    env_file& operator=(const env_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct env_file_fixture {
    ~env_file_fixture()
    {
        for (auto name : {"EF_PLAIN", "EF_EXPORT", "EF_DQ", "EF_SQ", "EF_MIXQ", "EF_HASH", "EF_COMMENT", "EF_QHASH",
                          "EF_NL", "EF_SQNL", "EF_ESC", "EF_MULTI", "EF_REF", "EF_EMPTY", "EF_CRLF", "EF_OK", "EF_BAD"})
            ::unsetenv(name);
    }
    diagnostics diag;
};

}  // namespace

TEST_CASE_METHOD(env_file_fixture, "an env file sets KEY=VALUE lines with quotes, comments and escapes",
                 "[config][env][envfile]")
{
    const env_file f("# a comment line\n"
                     "\n"
                     "EF_PLAIN=plain value\n"
                     "export EF_EXPORT=exported\n"
                     "EF_DQ=\"double 'quoted'\"\n"
                     "EF_SQ='single \"quoted\"'\n"
                     "EF_MIXQ=\"a\"'b'c\n"
                     "EF_HASH=a#b\n"
                     "EF_COMMENT=value   # trailing comment\n"
                     "EF_QHASH=\"in # quotes\" # comment\n"
                     "EF_NL=\"line1\\nline2\"\n"
                     "EF_ESC=back\\\\slash \\\"q\\\" \\# \\'\n"
                     "EF_MULTI=\"first\n"
                     "   second\n"
                     "third\"\n"
                     "EF_REF=${EF_PLAIN}-${EF_UNSET_X:-dflt}\n"
                     "EF_EMPTY=\n"
                     "EF_CRLF=crlf\r\n");
    REQUIRE(load_env_file(f.path(), diag));
    INFO(diag.to_string());
    CHECK(diag.ok());
    CHECK(env_or("EF_PLAIN") == "plain value");
    CHECK(env_or("EF_EXPORT") == "exported");
    CHECK(env_or("EF_DQ") == "double 'quoted'");
    CHECK(env_or("EF_SQ") == "single \"quoted\"");
    CHECK(env_or("EF_MIXQ") == "abc");
    CHECK(env_or("EF_HASH") == "a#b");
    CHECK(env_or("EF_COMMENT") == "value");
    CHECK(env_or("EF_QHASH") == "in # quotes");
    CHECK(env_or("EF_NL") == "line1\nline2");
    CHECK(env_or("EF_ESC") == "back\\slash \"q\" # '");
    CHECK(env_or("EF_MULTI") == "firstsecondthird");   // lines are trimmed and joined
    CHECK(env_or("EF_REF") == "plain value-dflt");    // earlier lines are visible
    CHECK(env_or("EF_EMPTY") == "");
    CHECK(env_or("EF_CRLF") == "crlf");
}

TEST_CASE_METHOD(env_file_fixture, "spaces around = are an error naming file and line", "[config][env][envfile]")
{
    const env_file f("EF_OK=1\n# fine\nEF_BAD = 2\n");
    CHECK_FALSE(load_env_file(f.path(), diag));
    REQUIRE(diag.problems().size() == 1);
    const problem& p = diag.problems()[0];
    CHECK(p.where.line == 3);
    CHECK(p.where.column == 7);
    CHECK_THAT(p.to_string(),
               Catch::StartsWith(f.path() + ":3:7: ") && Catch::Contains("character not allowed for variable name"));
    CHECK(env_or("EF_OK") == "1");
    CHECK(env_or("EF_BAD") == "<unset>");
}

TEST_CASE_METHOD(env_file_fixture, "bad names, lines without = and open quotes are errors", "[config][env][envfile]")
{
    const env_file f("EF-OK=1\n"         // 1: '-' is not a name character
                     "=nameless\n"       // 2
                     "just words\n"      // 3
                     "EF_OK=fine\n"      // 4
                     "EF_BAD=\"open\n"   // 5
                     "never closed\n");  // 6
    CHECK_FALSE(load_env_file(f.path(), diag));
    REQUIRE(diag.problems().size() == 4);
    CHECK(diag.problems()[0].where.line == 1);
    CHECK_THAT(diag.problems()[0].message, Catch::Contains("character not allowed for variable name `-`"));
    CHECK(diag.problems()[1].where.line == 2);
    CHECK_THAT(diag.problems()[1].message, Catch::Contains("variable name not found"));
    CHECK(diag.problems()[2].where.line == 3);
    CHECK(diag.problems()[3].where.line == 5);
    CHECK_THAT(diag.problems()[3].message, Catch::Contains("quotation is not closed") && Catch::Contains("EF_BAD"));
    CHECK(env_or("EF_OK") == "fine");
}

TEST_CASE_METHOD(env_file_fixture, "a missing env file is a problem", "[config][env][envfile]")
{
    CHECK_FALSE(load_env_file("/nonexistent/aileron/test.env", diag));
    REQUIRE(diag.problems().size() == 1);
    CHECK_THAT(diag.problems()[0].to_string(), Catch::StartsWith("/nonexistent/aileron/test.env: cannot read"));
}

TEST_CASE_METHOD(env_file_fixture, "${V:?w} in an env file points at its line", "[config][env][envfile]")
{
    ::unsetenv("EF_UNSET_Y");
    const env_file f("EF_OK=1\nEF_BAD=${EF_UNSET_Y:?required}\n");
    CHECK_FALSE(load_env_file(f.path(), diag));
    REQUIRE(diag.problems().size() == 1);
    CHECK(diag.problems()[0].where.line == 2);
    CHECK(diag.problems()[0].message == "EF_UNSET_Y: required");
}
