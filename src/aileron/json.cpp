// Boost.JSON, compiled once for the whole library (its header-only mode: src.hpp in one TU).
// Other files include only the parts they use (<boost/json/parse.hpp>, <boost/json/value.hpp>...).
#include <boost/json/src.hpp>
