-- DuckDB reference for `registro stats --period {anno}` (carta1995, ex ante): the same
-- definitions as reports/stats.py, computed over the DuckDB table `prenotazione` loaded from
-- the same CSV, joined with the catalog `catalogo` for the service type.
-- wait = calendar days booking date -> appointment date; guarantee = first access, not the
-- citizen's choice, not urgent, a target exists; median = mean of the two middle values;
-- p90 = nearest rank (the ceil(0.9 n)-th smallest); share within target to 3 decimals.
-- Mean and share are rounded half up exactly, in integers, as the register does
-- (floor((2·10^d·num + den) / (2·den)) / 10^d): DuckDB's round(avg(...)) rounds a binary
-- float, which gives 20.4 for 20.45 on some versions and not on others.
WITH b AS (
  SELECT p.codice_prestazione, p.codice_sede,
         date_diff('day', CAST(p.data_prenotazione AS DATE), CAST(p.data_appuntamento AS DATE))
           AS attesa,
         CASE c.tipo WHEN 'laboratorio' THEN 2 WHEN 'immagini' THEN 5
                     WHEN 'visita' THEN 7 WHEN 'strumentale' THEN 7 END AS standard,
         coalesce(p.tipo_accesso, 'primo') = 'primo'
           AND coalesce(CAST(p.scelta_utente AS VARCHAR), '0') NOT IN ('1', 'true')
           AND coalesce(p.classe_priorita, '') <> 'U' AS in_garanzia
  FROM prenotazione p JOIN catalogo c ON c.codice = p.codice_prestazione
  WHERE CAST(p.data_prenotazione AS DATE) >= DATE '{anno}-01-01'
    AND CAST(p.data_prenotazione AS DATE) < DATE '{anno_dopo}-01-01'
)
SELECT codice_prestazione, codice_sede,
       count(*) FILTER (WHERE in_garanzia) AS n,
       CAST((20 * sum(attesa) FILTER (WHERE in_garanzia)
             + count(*) FILTER (WHERE in_garanzia))
            // nullif(2 * count(*) FILTER (WHERE in_garanzia), 0) AS DOUBLE) / 10 AS attesa_media,
       median(attesa) FILTER (WHERE in_garanzia) AS attesa_mediana,
       list_sort(list(attesa) FILTER (WHERE in_garanzia))[
         CAST(ceil(0.9 * count(*) FILTER (WHERE in_garanzia)) AS BIGINT)] AS attesa_p90,
       max(standard) FILTER (WHERE in_garanzia) AS standard_giorni,
       CAST((2000 * count(*) FILTER (WHERE in_garanzia AND attesa <= standard)
             + count(*) FILTER (WHERE in_garanzia))
            // nullif(2 * count(*) FILTER (WHERE in_garanzia), 0) AS DOUBLE) / 1000
         AS quota_entro_standard,
       count(*) FILTER (WHERE NOT in_garanzia) AS n_fuori_garanzia
FROM b
GROUP BY codice_prestazione, codice_sede
ORDER BY codice_prestazione, codice_sede;
