// SQL on an embedkit store (issue 20): Store.sql() opens a SQLite connection of its
// own on the store's file, with the embedkit extension registered on it (the
// `embedkit` virtual table, the vec_* functions; docs/sql.md), as the native
// libembedkit_sqlite does for a `.load`. exec() runs statements; query() runs one and
// returns its rows as objects.
//
// Two connections, one file: the store handle and each SqlConnection are separate
// SQLite connections in one module on one thread. Writes of one reach the other at its
// commit (the store's warm copies check PRAGMA data_version on every call). A
// transaction left open on one (store.begin(), or BEGIN in SQL) holds the file's write
// lock until it ends: meanwhile a write through the other connection fails with
// "database is locked" (at once on the SQL side; after the store's busyTimeoutMs on the
// store's side, since nothing else can run on the thread to release the lock).

import { EmbedkitError, Scratch, Status, checkText, jsError } from './heap.js';

const UTF8 = new TextDecoder();

// SQLite's codes (sqlite3.h).
const SQLITE_OK = 0;
const SQLITE_ROW = 100;
const SQLITE_DONE = 101;
const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;
const SQLITE_TEXT = 3;
const SQLITE_BLOB = 4;

// The ek_status a SQLite primary result code comes closest to; a failure of SQL itself
// (syntax, constraint, a function's or the virtual table's error) is EK_ERR_STORAGE,
// the status embedkit gives every SQLite failure. `sqliteCode` keeps the exact code.
const STATUS_OF_SQLITE = new Map([
  [3, Status.READ_ONLY], // SQLITE_PERM
  [7, Status.OUT_OF_MEMORY], // SQLITE_NOMEM
  [8, Status.READ_ONLY], // SQLITE_READONLY
  [9, Status.CANCELLED], // SQLITE_INTERRUPT
  [10, Status.IO], // SQLITE_IOERR
  [11, Status.CORRUPT], // SQLITE_CORRUPT
  [14, Status.IO], // SQLITE_CANTOPEN
  [18, Status.LIMIT], // SQLITE_TOOBIG
  [26, Status.CORRUPT], // SQLITE_NOTADB
  [2, Status.INTERNAL], // SQLITE_INTERNAL
]);

/** A failed SQL statement: EmbedkitError with SQLite's extended result code
 * (`sqliteCode`, its text in `sqliteCodeName`) and the statement's text (`sql`). The
 * message is SQLite's, which for the extension's own errors is "embedkit: ...". */
export class SqlError extends EmbedkitError {
  constructor(status, statusName, message, sqliteCode, sqliteCodeName, sql) {
    super(status, statusName, message);
    this.name = 'SqlError';
    this.sqliteCode = sqliteCode;
    this.sqliteCodeName = sqliteCodeName;
    this.sql = sql;
  }
}

function sqlError(M, code, message, sql) {
  const status = STATUS_OF_SQLITE.get(code & 0xff) ?? Status.STORAGE;
  const statusName = M.UTF8ToString(M._ek_status_name(status));
  return new SqlError(status, statusName, message, code, M.UTF8ToString(M._ekw_sql_errstr(code)), sql);
}

/** Opens a connection on `store`'s file (Store.sql() calls this). */
export function openSql(kit, store, path, readOnly) {
  const M = kit._M;
  const s = new Scratch(M);
  try {
    const out = s.u32(1);
    const rc = M._ekw_sql_open(s.str(path, 'Store.sql: path'), readOnly ? 1 : 0, out);
    if (rc !== SQLITE_OK) {
      throw sqlError(M, rc, `Store.sql: cannot open '${path}': ${M.UTF8ToString(M._ekw_sql_error())}`, null);
    }
    return new SqlConnection(kit, M.HEAPU32[out >> 2], store);
  } finally {
    s.free();
  }
}

/** A SQLite connection on a store's file with the embedkit extension registered. */
export class SqlConnection {
  constructor(kit, ptr, store) {
    this._kit = kit;
    this._ptr = ptr;
    this._store = store;
    this._context = store._context;
    this._unsynced = false; // a write ran since the last commit seen
  }

  /** True once closed. */
  get closed() {
    return this._ptr === 0;
  }

  /** True while a transaction (BEGIN ...) is open on this connection. */
  get inTransaction() {
    return this._kit._M._ekw_sql_autocommit(this._p('inTransaction')) === 0;
  }

  /** Runs every statement of `sql` in order (no parameters); stops at the first
   * failure, which is thrown as SqlError (earlier statements stay done, as with
   * sqlite3_exec). Returns, as sql.js's exec does, one { columns, values } per
   * statement that has result columns (SELECT, PRAGMA, ...): the column names and the
   * rows as arrays of values (typed as query() types them). */
  exec(sql) {
    const results = [];
    this._statements(sql, 'SqlConnection.exec', (stmt, text) => {
      this._bind(stmt, undefined, 'SqlConnection.exec');
      const values = [];
      const columns = this._step(stmt, text, (row) => values.push(row), new Set(), true);
      if (columns.length) results.push({ columns, values });
    });
    return results;
  }

  /** Runs the one statement of `sql` and returns its rows as objects keyed by column
   * name (a later column of the same name wins). Values: INTEGER as a number (a
   * BigInt beyond 2^53), REAL number, TEXT string, BLOB Uint8Array, NULL null.
   * `params`: an array bound by position (?, ?NNN), or an object bound by name (the
   * key of :name, @name or $name is "name"). Values bound: null, boolean (0/1), number
   * (integer or real), BigInt, string, Uint8Array / ArrayBuffer / any typed array
   * (blob of its bytes: a Float32Array is an f32 vector). options.float32: names of
   * blob columns to return as Float32Array (vectors) instead. */
  query(sql, params = undefined, options = {}) {
    const float32 = new Set(options.float32 ?? []);
    const rows = [];
    this._statements(sql, 'SqlConnection.query', (stmt, text) => {
      this._bind(stmt, params, 'SqlConnection.query');
      this._step(stmt, text, (row) => rows.push(row), float32);
    }, true);
    return rows;
  }

  /** Closes the connection (a transaction still open is rolled back). */
  close() {
    this._release();
  }

  free() {
    this._release();
  }

  // ---- internals ----

  _p(method) {
    if (this._ptr === 0) {
      throw jsError(Status.INVALID_ARGUMENT, `SqlConnection.${method}: the connection was closed`);
    }
    return this._ptr;
  }

  _release() {
    if (this._ptr === 0) return;
    const M = this._kit._M;
    const rc = M._ekw_sql_close(this._ptr);
    if (rc !== SQLITE_OK) throw sqlError(M, rc, `SqlConnection.close: ${M.UTF8ToString(M._ekw_sql_error())}`, null);
    this._ptr = 0;
    this._context._children.delete(this);
  }

  // Prepares the statements of `sql` one at a time, each after the previous one ran
  // (a CREATE TABLE is seen by the next statement), and calls fn(stmt, text) for each;
  // every statement is finalized whatever happens. `single`: the text must hold one
  // statement, checked before it runs.
  _statements(sql, what, fn, single = false) {
    const M = this._kit._M;
    const db = this._p(what.split('.')[1]);
    if (typeof sql !== 'string') throw jsError(Status.INVALID_ARGUMENT, `${what}: sql must be a string`);
    const s = new Scratch(M);
    try {
      const text = s.str(sql, `${what}: sql`);
      const bytes = M.lengthBytesUTF8(sql);
      const outStmt = s.u32(1);
      const outTail = s.u32(1);
      let offset = 0;
      // The next statement from `offset` on, or null at the end of the text.
      const prepare = () => {
        while (offset < bytes) {
          const start = offset;
          const rc = M._ekw_sql_prepare(db, text + offset, bytes - offset, outStmt, outTail);
          offset += M.HEAPU32[outTail >> 2];
          if (rc !== SQLITE_OK) {
            throw sqlError(M, rc, M.UTF8ToString(M._ekw_sql_errmsg(db)),
              M.UTF8ToString(text + start, bytes - start).trim());
          }
          const stmt = M.HEAPU32[outStmt >> 2];
          if (stmt) return { stmt, text: M.UTF8ToString(text + start, offset - start).trim() };
          if (offset === start) break; // only spaces or comments were left
        }
        return null;
      };
      let ran = 0;
      for (let current = prepare(); current; current = single ? null : prepare()) {
        try {
          if (single) this._refuseMore(prepare, what, current.text);
          fn(current.stmt, current.text);
          ++ran;
        } finally {
          M._ekw_sql_finalize(current.stmt);
        }
      }
      if (single && ran === 0) throw jsError(Status.INVALID_ARGUMENT, `${what}: no statement in the text`);
    } finally {
      s.free();
    }
  }

  // Throws unless nothing but spaces and comments follows (a following statement that
  // does not compile counts as one too).
  _refuseMore(prepare, what, first) {
    let more;
    try {
      more = prepare();
    } catch (e) {
      more = { stmt: 0 };
    }
    if (more === null) return;
    if (more.stmt) this._kit._M._ekw_sql_finalize(more.stmt);
    throw jsError(Status.INVALID_ARGUMENT, `${what} runs one statement, and the text holds ` +
      `more after ${JSON.stringify(first)} (exec runs several)`);
  }

  // Binds `params` to every parameter of `stmt`: all of them must get a value, and an
  // object may name no parameter the statement lacks (a typo would bind nothing).
  _bind(stmt, params, what) {
    const M = this._kit._M;
    const n = M._ekw_sql_param_count(stmt);
    if (params === undefined || params === null) {
      if (n > 0) {
        throw jsError(Status.INVALID_ARGUMENT,
          `${what}: the statement has ${n} parameter(s) and no values were given`);
      }
      return;
    }
    if (Array.isArray(params)) {
      if (params.length !== n) {
        throw jsError(Status.INVALID_ARGUMENT,
          `${what}: the statement has ${n} parameter(s), ${params.length} value(s) were given`);
      }
      params.forEach((v, i) => this._bindValue(stmt, i + 1, v, `${what}: parameter ${i + 1}`));
      return;
    }
    if (typeof params !== 'object') {
      throw jsError(Status.INVALID_ARGUMENT,
        `${what}: params must be an array (by position) or an object (by name), not ${typeof params}`);
    }
    const unused = new Set(Object.keys(params));
    for (let i = 1; i <= n; ++i) {
      const nameAt = M._ekw_sql_param_name(stmt, i);
      const name = nameAt ? M.UTF8ToString(nameAt) : null;
      if (name === null || name.startsWith('?')) {
        throw jsError(Status.INVALID_ARGUMENT,
          `${what}: parameter ${i} is positional (${name ?? '?'}); pass an array, or name it (:name)`);
      }
      const key = name.slice(1);
      if (!Object.prototype.hasOwnProperty.call(params, key)) {
        throw jsError(Status.INVALID_ARGUMENT, `${what}: no value for parameter ${name}`);
      }
      unused.delete(key);
      this._bindValue(stmt, i, params[key], `${what}: parameter ${name}`);
    }
    if (unused.size) {
      throw jsError(Status.INVALID_ARGUMENT,
        `${what}: the statement has no parameter named ${[...unused].map((k) => `:${k}`).join(', ')}`);
    }
  }

  _bindValue(stmt, index, value, what) {
    const M = this._kit._M;
    let rc;
    if (value === null) {
      rc = M._ekw_sql_bind_null(stmt, index);
    } else if (typeof value === 'boolean') {
      rc = M._ekw_sql_bind_int64(stmt, index, value ? 1 : 0, 0);
    } else if (typeof value === 'number') {
      rc = Number.isSafeInteger(value)
        ? this._bindInt64(stmt, index, BigInt(value))
        : M._ekw_sql_bind_double(stmt, index, value);
    } else if (typeof value === 'bigint') {
      if (BigInt.asIntN(64, value) !== value) {
        throw jsError(Status.INVALID_ARGUMENT, `${what} is ${value}, outside SQLite's 64-bit integers`);
      }
      rc = this._bindInt64(stmt, index, value);
    } else if (typeof value === 'string') {
      checkText(value, what, false);
      const bytes = M.lengthBytesUTF8(value);
      rc = this._withHeapCopy(bytes + 1, (p) => {
        M.stringToUTF8(value, p, bytes + 1);
        return M._ekw_sql_bind_text(stmt, index, p, bytes);
      });
    } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      const bytes = value instanceof ArrayBuffer
        ? new Uint8Array(value)
        : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      rc = this._withHeapCopy(bytes.length, (p) => {
        M.HEAPU8.set(bytes, p);
        return M._ekw_sql_bind_blob(stmt, index, p, bytes.length);
      });
    } else {
      const kind = value === undefined ? 'undefined' : Array.isArray(value) ? 'an array' : typeof value;
      throw jsError(Status.INVALID_ARGUMENT, `${what} is ${kind}: bind null, a number, a BigInt, a ` +
        'string or bytes (a vector as JSON text, JSON.stringify(v), or as a Float32Array)');
    }
    if (rc !== SQLITE_OK) throw sqlError(M, rc, `${what}: ${M.UTF8ToString(M._ekw_sql_errstr(rc))}`, null);
  }

  _bindInt64(stmt, index, big) {
    const low = Number(BigInt.asUintN(32, big));
    const high = Number(BigInt.asIntN(32, big >> 32n));
    return this._kit._M._ekw_sql_bind_int64(stmt, index, low, high);
  }

  // fn(p) with `bytes` of the wasm heap at p, freed after (SQLite copies bound values).
  _withHeapCopy(bytes, fn) {
    const s = new Scratch(this._kit._M);
    try {
      return fn(s.alloc(bytes));
    } finally {
      s.free();
    }
  }

  // Steps `stmt` to the end, handing each row to onRow: an object by column name, or
  // an array of values (`asArrays`). Returns the column names.
  _step(stmt, text, onRow, float32 = new Set(), asArrays = false) {
    const kit = this._kit;
    const M = kit._M;
    if (!M._ekw_sql_readonly(stmt)) this._unsynced = true;
    const names = [];
    for (let c = 0; c < M._ekw_sql_column_count(stmt); ++c) names.push(M.UTF8ToString(M._ekw_sql_column_name(stmt, c)));
    const s = new Scratch(M);
    try {
      const out = s.u32(2);
      for (;;) {
        const rc = M._ekw_sql_step(stmt);
        if (rc === SQLITE_DONE) break;
        if (rc !== SQLITE_ROW) throw sqlError(M, rc, M.UTF8ToString(M._ekw_sql_errmsg(this._ptr)), text);
        const values = names.map((name, c) => this._column(stmt, c, out, float32.has(name) ? name : null));
        if (asArrays) {
          onRow(values);
        } else {
          const row = {};
          names.forEach((name, c) => { row[name] = values[c]; });
          onRow(row);
        }
      }
      return names;
    } finally {
      s.free();
      // Under an IndexedDB mount, schedule the sync once the writes are committed.
      if (this._unsynced && M._ekw_sql_autocommit(this._ptr)) {
        this._unsynced = false;
        this._store._wrote();
      }
    }
  }

  _column(stmt, c, out, float32Name) {
    const M = this._kit._M;
    switch (M._ekw_sql_column_type(stmt, c)) {
      case SQLITE_INTEGER: {
        M._ekw_sql_column_int64(stmt, c, out);
        const big = (BigInt(M.HEAP32[(out >> 2) + 1]) << 32n) | BigInt(M.HEAPU32[out >> 2]);
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(big) : big;
      }
      case SQLITE_FLOAT:
        return M._ekw_sql_column_double(stmt, c);
      case SQLITE_TEXT: {
        const p = M._ekw_sql_column_text(stmt, c, out);
        // By length, not up to a NUL: text may hold U+0000.
        return UTF8.decode(M.HEAPU8.subarray(p, p + M.HEAP32[out >> 2]));
      }
      case SQLITE_BLOB: {
        const p = M._ekw_sql_column_blob(stmt, c, out);
        const n = M.HEAP32[out >> 2];
        const bytes = M.HEAPU8.slice(p, p + n);
        if (float32Name === null) return bytes;
        if (n % 4 !== 0) {
          throw jsError(Status.INVALID_ARGUMENT, `SqlConnection.query: column '${float32Name}' ` +
            `holds a ${n}-byte blob, not f32 values (options.float32)`);
        }
        return new Float32Array(bytes.buffer);
      }
      default:
        return null;
    }
  }
}
