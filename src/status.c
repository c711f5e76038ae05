/* Status names and messages, from the one table in clconv.h. */
#include "clconv.h"

const char *clconv_status_string(clconv_status status)
{
    switch (status) {
#define CLCONV_STATUS_MESSAGE_(name, message)                                                      \
    case name:                                                                                     \
        return message;
        CLCONV_STATUS_TABLE(CLCONV_STATUS_MESSAGE_)
#undef CLCONV_STATUS_MESSAGE_
    default:
        return "unknown status";
    }
}

const char *clconv_status_name(clconv_status status)
{
    switch (status) {
#define CLCONV_STATUS_NAME_(name, message)                                                         \
    case name:                                                                                     \
        return #name;
        CLCONV_STATUS_TABLE(CLCONV_STATUS_NAME_)
#undef CLCONV_STATUS_NAME_
    default:
        return "unknown";
    }
}
