// The SQL console panel: the text runs on a SQL connection of the page's store
// (Store.sql(): SQLite with the embedkit extension, its own connection on the same
// IndexedDB file), and the last statement with result columns is shown as a table.
// The starting text maps the documents collection as an `embedkit` virtual table
// (vec0's column syntax, no copy) and runs a filtered KNN on it.
import { EmbedkitError } from '../../wasm/js/index.js';

const $ = (id) => document.getElementById(id);

function startingSql(dim) {
  return `-- The documents collection as a table (no copy), in sqlite-vec's column syntax.
CREATE VIRTUAL TABLE IF NOT EXISTS people USING embedkit(
  id text primary key, embedding float[${dim}] distance_metric=cosine,
  name text, field text, born integer, collection=docs);
-- The three nearest to Alan Turing among the computer scientists.
SELECT name, born, round(distance, 4) AS distance
FROM people
WHERE embedding MATCH (SELECT embedding FROM people WHERE name = 'Alan Turing')
  AND k = 3 AND field = 'computer science'
ORDER BY distance;`;
}

function shown(value) {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `<blob, ${value.length} bytes>`;
  return String(value);
}

function showTable(result) {
  const table = $('sql-results');
  table.tHead.innerHTML = '';
  table.tBodies[0].innerHTML = '';
  if (!result) return;
  const head = table.tHead.insertRow();
  for (const c of result.columns) head.appendChild(document.createElement('th')).textContent = c;
  for (const row of result.values) {
    const tr = table.tBodies[0].insertRow();
    tr.className = 'sql-row';
    for (const v of row) tr.insertCell().textContent = shown(v);
  }
}

// state: the page's { store, docs }; opens the SQL connection the panel uses.
export function setupSqlConsole(state) {
  state.sql = state.store.sql();
  $('sql-text').value = startingSql(state.docs.dim);
  $('sql-run').onclick = () => {
    $('sql-error').textContent = '';
    const started = performance.now();
    try {
      const results = state.sql.exec($('sql-text').value);
      const last = results[results.length - 1] ?? null;
      showTable(last);
      const ms = (performance.now() - started).toFixed(1);
      $('sql-report').textContent = last
        ? `${last.values.length} row(s) in ${ms} ms`
        : `done in ${ms} ms (no statement returned rows)`;
      document.body.dataset.sqlRows = String(last ? last.values.length : 0);
    } catch (e) {
      showTable(null);
      $('sql-report').textContent = '';
      $('sql-error').textContent = e instanceof EmbedkitError ? `${e.statusName}: ${e.message}` : String(e);
      document.body.dataset.sqlRows = 'error';
    }
  };
}
