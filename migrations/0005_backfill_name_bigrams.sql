-- Backfill of licence_name_bigrams for licences issued before the index existed (src/services/name-search.ts
-- writes it for every licence issued since). The same bigrams as nameBigrams(): every pair of adjacent
-- characters of the holder name with ASCII letters lower-cased (SQLite's lower() changes only ASCII).
INSERT OR IGNORE INTO `licence_name_bigrams` (`authority_id`, `bigram`, `licence_id`)
WITH RECURSIVE pairs(authority_id, licence_id, name, i) AS (
  SELECT `authority_id`, `id`, lower(`holder_name`), 1 FROM `licences` WHERE `holder_name` IS NOT NULL AND length(`holder_name`) >= 2
  UNION ALL
  SELECT authority_id, licence_id, name, i + 1 FROM pairs WHERE i + 2 <= length(name)
)
SELECT authority_id, substr(name, i, 2), licence_id FROM pairs;
