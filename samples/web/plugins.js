// The plugin panels of the web sample: text classification (embedkit.text_classify),
// table metadata matching (embedkit.table_match) and a recommender that forgets
// (embedkit.rec_unlearn), each through the package's typed wrappers
// (instance.classifier(), .matcher(), .recommender()). Results are drawn as score
// bars; every panel records what it showed in document.body.dataset for the tests.
import { EmbedkitError } from '../../wasm/js/index.js';

const $ = (id) => document.getElementById(id);

const LABELS = { space: ['space', 'orbit', 'rocket', 'planet'], sport: ['team', 'match', 'game', 'goal'],
  food: ['recipe', 'bake', 'cheese', 'soup'] };
const CORPUS = [
  'the rocket launch reached orbit', 'nasa astronauts on the space station',
  'a telescope saw a distant galaxy in space', 'the moon landing and the orbit of mars',
  'planets orbit the sun in the solar system', 'the shuttle crew returned from space',
  'the team won the football match', 'a goal in the last minute of the game',
  'the tennis player won the final match', 'fans cheered as the team scored',
  'the coach picked the players for the game', 'a record in the marathon race',
  'bake the bread for forty minutes', 'a recipe for cheese and onion pie',
  'grate the cheese over the pasta', 'this cake recipe needs butter and sugar',
  'bake until golden and serve warm', 'fresh herbs make the soup better',
];
const TEXTS = ['An astronaut flew a rocket into orbit around the planet',
  'Our team scored a late goal and won the match', 'Melt the cheese, then bake the pie for an hour'];

const DDL = `CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY, -- unique identifier of the patient
  birth_dt DATE,                  -- date of birth
  gender_cd VARCHAR(1),           -- sex of the patient
  adm_ts TIMESTAMP                -- time of hospital admission
);
CREATE TABLE labs (
  loinc_cd VARCHAR(20),           -- LOINC code of the test
  result_val NUMERIC              -- measured value
);`;
const GLOSSARY = [
  { id: 'person_id', label: 'Person identifier', description: 'A unique identifier for each person' },
  { id: 'birth_date', label: 'Birth date', description: 'The date the person was born' },
  { id: 'gender', label: 'Gender', description: 'The sex of the person', synonyms: ['sex'] },
  { id: 'visit_start', label: 'Visit start datetime', description: 'When the hospital visit or admission started' },
  { id: 'measurement_code', label: 'Measurement concept code', description: 'The LOINC code of the laboratory test' },
  { id: 'value_as_number', label: 'Value as number', description: 'The numeric result of the measurement' },
];

// A small shop: readers of sci-fi (s*), cooks (c*) and runners (r*); each user liked
// most books of their own shelf.
const SHELVES = { s: ['Dune', 'Foundation', 'Neuromancer', 'Hyperion', 'Solaris', 'Ubik'],
  c: ['Salt Fat Acid Heat', 'The Joy of Cooking', 'Jerusalem', 'Plenty', 'Mastering the Art', 'Flour Water'],
  r: ['Born to Run', 'Once a Runner', 'Running with the Buffaloes', 'Eat and Run', 'Duel in the Sun', 'Faster'] };
function shopInteractions() {
  const rows = [];
  for (const [shelf, books] of Object.entries(SHELVES)) {
    for (let u = 0; u < 8; ++u) {
      books.forEach((b, i) => { if ((u + i) % 3 !== 0) rows.push({ user: `${shelf}${u}`, item: b }); });
    }
  }
  return rows;
}

function showError(where, e) {
  $(where).textContent = e ? (e instanceof EmbedkitError ? `${e.statusName}: ${e.message}` : String(e)) : '';
}

function bar(value, width = 110, color = '#4b7bec') {
  const d = document.createElement('div');
  d.className = 'bar';
  d.style.width = `${Math.max(0, Math.min(1, value)) * width}px`;
  d.style.background = color;
  d.title = value.toFixed(3);
  return d;
}

function guarded(where, fn) {
  return () => {
    showError(where, null);
    try {
      fn();
    } catch (e) {
      showError(where, e);
    }
  };
}

// ---- text_classify -----------------------------------------------------------------------
function classify(ctx) {
  const labels = JSON.parse($('cls-labels').value);
  const corpus = $('cls-corpus').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const texts = $('cls-texts').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const inst = ctx.createInstance('embedkit.text_classify',
    { embedder: 'hashing', hash_dim: 512, min_num_docs: Math.max(2, Math.floor(corpus.length / 6)) });
  try {
    const cls = inst.classifier();
    cls.setLabels(labels);
    cls.fit(corpus);
    const names = cls.labels().map((l) => l.name);
    const out = cls.predict(texts, { scores: true });
    const body = $('cls-results').tBodies[0];
    body.innerHTML = '';
    out.forEach((p, i) => {
      const tr = body.insertRow();
      tr.className = 'cls-row';
      tr.insertCell().textContent = texts[i];
      tr.insertCell().innerHTML = `<b>${p.label ?? '—'}</b> <span class="muted">${(p.confidence * 100).toFixed(0)}%</span>`;
      const cell = tr.insertCell();
      names.forEach((n, j) => {
        const line = document.createElement('div');
        line.className = 'barline';
        line.append(Object.assign(document.createElement('span'), { textContent: n }),
          bar(p.scores[j], 90, j === p.index ? '#4b7bec' : '#cbd5e1'));
        cell.appendChild(line);
      });
    });
    document.body.dataset.classified = out.map((p) => p.label).join(',');
  } finally {
    inst.free();
  }
}

// ---- table_match -------------------------------------------------------------------------
function match(ctx) {
  const inst = ctx.createInstance('embedkit.table_match', {});
  try {
    const m = inst.matcher();
    m.loadSource($('match-ddl').value);
    m.loadTarget($('match-glossary').value);
    const r = m.match({ topK: 3, mode: $('match-mode').value });
    const body = $('match-results').tBodies[0];
    body.innerHTML = '';
    for (const col of r.columns) {
      const best = col.candidates[0];
      const tr = body.insertRow();
      tr.className = 'match-row';
      tr.insertCell().textContent = `${col.table}.${col.name}`;
      tr.insertCell().innerHTML = `${best.match ? '✓' : '<span class="muted">?</span>'} ${best.id}`;
      const cell = tr.insertCell();
      cell.append(bar(best.score), Object.assign(document.createElement('span'),
        { className: 'muted', textContent: ` ${best.score.toFixed(2)}` }));
      // Why: the three signals that pushed this candidate up the most.
      const why = Object.entries(best.contributions).sort((a, b) => b[1] - a[1]).slice(0, 3)
        .map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toFixed(2)}`).join(', ');
      tr.insertCell().textContent = `${why}; next: ${col.candidates.slice(1).map((c) => `${c.id} ${c.score.toFixed(2)}`).join(', ')}`;
    }
    document.body.dataset.matched = r.columns.map((c) => `${c.name}=${c.candidates[0].id}`).join(',');
  } finally {
    inst.free();
  }
}

// ---- rec_unlearn -------------------------------------------------------------------------
const rec = { inst: null, model: null, store: null };

function recTrain(ctx) {
  rec.inst?.free();
  rec.inst = ctx.createInstance('embedkit.rec_unlearn', { dim: 16, epochs: 40, seed: 3 });
  rec.model = rec.inst.recommender();
  rec.model.addInteractions(shopInteractions());
  const t = rec.model.train();
  rec.store?.free();
  rec.store = ctx.openStore(':memory:');
  rec.model.save(rec.store, 'shop'); // bound: forget requests delete from this store
  const st = rec.model.stats();
  $('rec-report').textContent = `trained ${st.users} users × ${st.items} books, ${t.epochs} epochs, ` +
    `${Math.round(t.samples / Math.max(t.seconds, 1e-6) / 1000)}k samples/s`;
  const sel = $('rec-user');
  sel.innerHTML = '';
  for (const shelf of Object.keys(SHELVES)) {
    for (let u = 0; u < 8; ++u) sel.add(new Option(`${shelf}${u}`, `${shelf}${u}`));
  }
  document.body.dataset.trained = String(st.users);
}

function recRecommend() {
  if (!rec.model) throw new Error('train the model first');
  const user = $('rec-user').value;
  const top = rec.model.recommend(user, { k: 5, excludeSeen: $('rec-unseen').checked });
  const body = $('rec-results').tBodies[0];
  body.innerHTML = '';
  const max = Math.max(...top.map((r) => Math.abs(r.score)), 1e-6);
  for (const r of top) {
    const tr = body.insertRow();
    tr.className = 'rec-row';
    tr.insertCell().textContent = r.item;
    tr.insertCell().appendChild(bar(r.score / max));
    tr.insertCell().textContent = r.score.toFixed(3);
  }
  document.body.dataset.recommended = top.map((r) => r.item).join('|');
}

function recForget() {
  if (!rec.model) throw new Error('train the model first');
  const user = $('rec-user').value;
  const f = rec.model.forget({ kind: 'users', users: [user] });
  $('rec-report').textContent = `forgot ${user}: ${f.interactionsRemoved} interactions removed ` +
    `in ${f.epochs} unlearning epochs; ledger digest ${f.digest.slice(0, 16)}…`;
  const sel = $('rec-user');
  sel.remove(sel.selectedIndex);
  document.body.dataset.forgotten = user;
}

export function setupPlugins(ctx) {
  $('cls-labels').value = JSON.stringify(LABELS);
  $('cls-corpus').value = CORPUS.join('\n');
  $('cls-texts').value = TEXTS.join('\n');
  $('match-ddl').value = DDL;
  $('match-glossary').value = JSON.stringify(GLOSSARY, null, 1);
  $('cls-run').onclick = guarded('cls-error', () => classify(ctx));
  $('match-run').onclick = guarded('match-error', () => match(ctx));
  $('rec-train').onclick = guarded('rec-error', () => recTrain(ctx));
  $('rec-recommend').onclick = guarded('rec-error', recRecommend);
  $('rec-forget').onclick = guarded('rec-error', () => {
    recForget();
    recRecommend();
  });
}
