#include "html_escape.h"

#include "utf8.h"

void pb_html_escape(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
    while (*s != '\0') {
        size_t n = pb_utf8_len(s);
        if (n == 0) {
            fputs("\xEF\xBF\xBD", f);
            s++;
            continue;
        }
        if (n > 1) {
            fwrite(s, 1, n, f);
            s += n;
            continue;
        }
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            /* tabs and newlines survive in <pre>; other controls have no business here */
            if (*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
        s++;
    }
}
