-- DuckDB reference for the fields `registro check` derives for every booking (carta1995):
-- the same definitions as registro/rules.py, over the DuckDB table `prenotazione` loaded
-- from the same CSV and the catalog `catalogo` (tipo; periodica `1`/`0`/empty, as the
-- register's catalog import reads it). Written to the table `verificata`, as the check
-- writes its fields back.
-- attesa_giorni = calendar days from the booking's date to the appointment's date;
-- attesa_da_prescrizione = the same from the prescription's date;
-- standard_giorni = 2 laboratory, 5 imaging, 7 visits and instrumental, none for an urgent
--   booking (class U, "salvo urgenze") or a periodic laboratory test;
-- in_garanzia = first access, not the citizen's own choice, and a target applies;
-- entro_standard (in guarantee only) = attesa_giorni <= standard_giorni;
-- superamento = in guarantee and waiting more than the target.
CREATE OR REPLACE TABLE verificata AS
WITH b AS (
  SELECT p.id_prenotazione,
         date_diff('day', CAST(p.data_prenotazione AS DATE),
                   CAST(p.data_appuntamento AS DATE)) AS attesa_giorni,
         date_diff('day', CAST(p.data_prescrizione AS DATE),
                   CAST(p.data_appuntamento AS DATE)) AS attesa_da_prescrizione,
         CASE WHEN coalesce(p.classe_priorita, '') = 'U' THEN NULL
              WHEN coalesce(CAST(c.periodica AS VARCHAR), '0') = '1' THEN NULL
              ELSE CASE c.tipo WHEN 'laboratorio' THEN 2 WHEN 'immagini' THEN 5
                               WHEN 'visita' THEN 7 WHEN 'strumentale' THEN 7 END
         END AS standard_giorni,
         coalesce(p.tipo_accesso, 'primo') = 'primo'
           AND coalesce(CAST(p.scelta_utente AS VARCHAR), '0') NOT IN ('1', 'true')
           AS primo_non_scelto
  FROM prenotazione p JOIN catalogo c ON c.codice = p.codice_prestazione
), g AS (
  SELECT *, primo_non_scelto AND standard_giorni IS NOT NULL AS in_garanzia FROM b
)
SELECT id_prenotazione, attesa_giorni, attesa_da_prescrizione, standard_giorni, in_garanzia,
       CASE WHEN in_garanzia THEN attesa_giorni <= standard_giorni END AS entro_standard,
       in_garanzia AND coalesce(attesa_giorni > standard_giorni, false) AS superamento
FROM g;
