#include "store/index_table.h"

#include <string>

#include "base/error.h"

namespace ek::store {
namespace {

bool ParseKind(std::string_view s, IndexKind* out) {
  if (s == "exact") *out = IndexKind::kExact;
  else if (s == "hnsw") *out = IndexKind::kHnsw;
  else return false;
  return true;
}

bool ParseElement(std::string_view s, ElementType* out) {
  if (s == "f32") *out = ElementType::kF32;
  else if (s == "f16") *out = ElementType::kF16;
  else if (s == "int8") *out = ElementType::kInt8;
  else if (s == "bit") *out = ElementType::kBit;
  else return false;
  return true;
}

}  // namespace

std::optional<IndexSettings> ReadIndexSettings(sql::Db& db, int64_t cid,
                                               std::vector<uint8_t>* header) {
  sql::Stmt::Use q(db.Prepare(
      "SELECT kind, element, m, ef_construction, ef_search, rescore, int8_scale, state, header, "
      "next_slot FROM ek_index WHERE collection_id = ?1"));
  q.Bind(1, cid);
  if (!q.Step()) return std::nullopt;
  IndexSettings s;
  IndexOptions& o = s.options;
  const int64_t m = q.Int(2), efc = q.Int(3), efs = q.Int(4), rescore = q.Int(5),
                next = q.Int(9);
  const double scale = q.Double(6);
  const std::string_view state = q.Text(7);
  bool ok = ParseKind(q.Text(0), &o.kind) && ParseElement(q.Text(1), &o.element) && m >= 2 &&
            m <= 255 && efc >= 1 && efc <= 65536 && efs >= 1 && efs <= 65536 && rescore >= 1 &&
            rescore <= 1024 && next >= 0 && next <= 0xFFFFFFFFll &&
            (state == "ready" || state == "building") && scale >= 0 && scale < 3.4e38;
  if (!ok)
    Fail(EK_ERR_CORRUPT, "store '" + db.path() + "': the ek_index row of collection id " +
                             std::to_string(cid) + " holds a value out of range");
  o.m = uint32_t(m);
  o.ef_construction = uint32_t(efc);
  o.ef_search = uint32_t(efs);
  o.rescore = uint32_t(rescore);
  s.building = state == "building";
  s.int8_scale = float(scale);
  s.next_slot = uint32_t(next);
  if (header) {
    const std::string_view h = q.Blob(8);
    header->assign(h.begin(), h.end());
  }
  return s;
}

void WriteIndexSettings(sql::Db& db, int64_t cid, const IndexSettings& s,
                        std::span<const uint8_t> header) {
  sql::Stmt::Use q(db.Prepare(
      "INSERT OR REPLACE INTO ek_index (collection_id, kind, element, m, ef_construction, "
      "ef_search, rescore, int8_scale, state, header, next_slot) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  const IndexOptions& o = s.options;
  q.Bind(1, cid)
      .Bind(2, std::string_view(IndexKindName(o.kind)))
      .Bind(3, std::string_view(ElementTypeName(o.element)))
      .Bind(4, int64_t{o.m})
      .Bind(5, int64_t{o.ef_construction})
      .Bind(6, int64_t{o.ef_search})
      .Bind(7, int64_t{o.rescore});
  if (s.int8_scale > 0) q.BindDouble(8, s.int8_scale);
  else q.BindNull(8);
  q.Bind(9, std::string_view(s.building ? "building" : "ready"));
  if (header.empty()) q.BindNull(10);
  else q.BindBlob(10, header.data(), header.size());
  q.Bind(11, int64_t{s.next_slot}).Run();
}

void WriteIndexHeader(sql::Db& db, int64_t cid, std::span<const uint8_t> header) {
  sql::Stmt::Use q(db.Prepare("UPDATE ek_index SET header = ?2 WHERE collection_id = ?1"));
  q.Bind(1, cid).BindBlob(2, header.data(), header.size()).Run();
}

void WriteIndexCounters(sql::Db& db, int64_t cid, const IndexSettings& s) {
  sql::Stmt::Use q(db.Prepare(
      "UPDATE ek_index SET next_slot = ?2, int8_scale = ?3 WHERE collection_id = ?1"));
  q.Bind(1, cid).Bind(2, int64_t{s.next_slot});
  if (s.int8_scale > 0) q.BindDouble(3, s.int8_scale);
  else q.BindNull(3);
  q.Run();
}

void DeleteIndexData(sql::Db& db, int64_t cid) {
  for (const char* sql : {"DELETE FROM ek_hnsw_node WHERE key BETWEEN ?1 AND ?2",
                          "DELETE FROM ek_code WHERE key BETWEEN ?1 AND ?2",
                          "DELETE FROM ek_free_slot WHERE key BETWEEN ?1 AND ?2"}) {
    sql::Stmt::Use(db.Prepare(sql)).Bind(1, FirstKey(cid)).Bind(2, LastKey(cid)).Run();
  }
  sql::Stmt::Use(db.Prepare("DELETE FROM ek_index WHERE collection_id = ?1")).Bind(1, cid).Run();
  sql::Stmt::Use(db.Prepare(
                     "UPDATE vectors SET slot = NULL WHERE collection_id = ?1 AND slot IS NOT NULL"))
      .Bind(1, cid)
      .Run();
}

std::vector<uint32_t> AllocateSlots(sql::Db& db, int64_t cid, IndexSettings& s, size_t n) {
  std::vector<uint32_t> out;
  out.reserve(n);
  {
    sql::Stmt::Use q(db.Prepare(
        "SELECT key FROM ek_free_slot WHERE key BETWEEN ?1 AND ?2 ORDER BY key LIMIT ?3"));
    q.Bind(1, FirstKey(cid)).Bind(2, LastKey(cid)).Bind(3, static_cast<int64_t>(n));
    while (q.Step()) out.push_back(KeySlot(q.Int(0)));
  }
  for (uint32_t slot : out) {
    sql::Stmt::Use(db.Prepare("DELETE FROM ek_free_slot WHERE key = ?1"))
        .Bind(1, SlotKey(cid, slot))
        .Run();
  }
  while (out.size() < n) {
    if (s.next_slot == 0xFFFFFFFFu)
      Fail(EK_ERR_LIMIT, "collection id " + std::to_string(cid) +
                             " has used every slot (2^32 - 1): compact its index");
    out.push_back(s.next_slot++);
  }
  return out;
}

void FreeSlot(sql::Db& db, int64_t cid, uint32_t slot) {
  sql::Stmt::Use(db.Prepare("INSERT INTO ek_free_slot (key) VALUES (?1)"))
      .Bind(1, SlotKey(cid, slot))
      .Run();
}

void WriteCode(sql::Db& db, int64_t cid, uint32_t slot, std::span<const uint8_t> code) {
  sql::Stmt::Use(db.Prepare("INSERT OR REPLACE INTO ek_code (key, code) VALUES (?1, ?2)"))
      .Bind(1, SlotKey(cid, slot))
      .BindBlob(2, code.data(), code.size())
      .Run();
}

void DeleteCode(sql::Db& db, int64_t cid, uint32_t slot) {
  sql::Stmt::Use(db.Prepare("DELETE FROM ek_code WHERE key = ?1")).Bind(1, SlotKey(cid, slot)).Run();
}

void WriteNode(sql::Db& db, int64_t cid, uint32_t slot, std::span<const uint8_t> record) {
  sql::Stmt::Use(db.Prepare("INSERT OR REPLACE INTO ek_hnsw_node (key, record) VALUES (?1, ?2)"))
      .Bind(1, SlotKey(cid, slot))
      .BindBlob(2, record.data(), record.size())
      .Run();
}

void DeleteNode(sql::Db& db, int64_t cid, uint32_t slot) {
  sql::Stmt::Use(db.Prepare("DELETE FROM ek_hnsw_node WHERE key = ?1"))
      .Bind(1, SlotKey(cid, slot))
      .Run();
}

}  // namespace ek::store
