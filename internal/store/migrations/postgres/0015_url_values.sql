-- URL values of indicators were kept as the pattern wrote them, while topics and cases
-- keep them as internal/ioc writes them: scheme and host in lower case, the rest as
-- written (intel.valueKind now does the same). Rewrite the stored ones that way, so that
-- the same URL correlates. With a the position of "://" and e that of the first '/', '?'
-- or '#' after it (each is appended once, so the search never fails), the scheme and
-- host are the first a + 1 + e characters. One with user information ('@') is left as it
-- was; so is one without "://".
UPDATE stix_values
SET value = lower(substr(value, 1, strpos(value, '://') + 1 + LEAST(strpos(substr(value, strpos(value, '://') + 3) || '/', '/'),
        strpos(substr(value, strpos(value, '://') + 3) || '?', '?'),
        strpos(substr(value, strpos(value, '://') + 3) || '#', '#'))))
    || substr(value, strpos(value, '://') + 2 + LEAST(strpos(substr(value, strpos(value, '://') + 3) || '/', '/'),
        strpos(substr(value, strpos(value, '://') + 3) || '?', '?'),
        strpos(substr(value, strpos(value, '://') + 3) || '#', '#')))
WHERE kind = 'url' AND strpos(value, '://') > 0 AND value <> lower(value)
    AND strpos(substr(value, 1, strpos(value, '://') + 1 + LEAST(strpos(substr(value, strpos(value, '://') + 3) || '/', '/'),
        strpos(substr(value, strpos(value, '://') + 3) || '?', '?'),
        strpos(substr(value, strpos(value, '://') + 3) || '#', '#'))), '@') = 0;
