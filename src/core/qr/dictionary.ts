/**
 * The preset DEFLATE dictionary of QR format EL1: the fixed vocabulary of licence credentials.
 * It is part of the format: changing one byte breaks every printed QR code, so it is frozen here and
 * its length and SHA-256 are pinned by a known-answer test (tests/qr-codec.test.ts) and docs/qr-format.md.
 *
 * The dictionary is the UTF-8 encoding of the entries below joined with no separator.
 * DEFLATE reaches back into it as history, and a nearer match costs fewer distance bits, so the
 * entries run from the rarest (Chinese stock phrases) to the most frequent (the JSON skeleton of every
 * credential, last). Chinese field labels such as 法定代表人 are not included: the credential carries
 * English member names, never the labels.
 */
import { utf8 } from '../encoding.js';

export const QR_DICTIONARY_ENTRIES: readonly string[] = Object.freeze([
  // Province-level divisions, the start of every address.
  '北京市天津市上海市重庆市河北省山西省辽宁省吉林省黑龙江省江苏省浙江省安徽省福建省江西省山东省河南省湖北省湖南省广东省海南省四川省贵州省云南省陕西省甘肃省青海省',
  '内蒙古自治区广西壮族自治区西藏自治区宁夏回族自治区新疆维吾尔自治区',
  // Address words.
  '经济技术开发区高新技术产业开发区工业园区科技园创业园大厦街道社区号楼单元',
  // Food business formats and items (食品经营许可证).
  '食品销售经营者餐饮服务经营者单位食堂（大型餐馆）（中型餐馆）（小型餐馆）',
  '特殊食品销售（保健食品、特殊医学用途配方食品、婴幼儿配方乳粉、其他婴幼儿配方食品）',
  '散装食品销售（含冷藏冷冻食品）散装食品销售（不含冷藏冷冻食品）预包装食品销售（不含冷藏冷冻食品）',
  '生食类食品制售糕点类食品制售（不含裱花蛋糕）热食类食品制售冷食类食品制售糕点类食品制售（含裱花蛋糕）',
  '自制饮品制售（不含自酿酒）预包装食品销售（含冷藏冷冻食品）',
  // Business scope stock phrases (经营范围).
  '（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以审批结果为准）',
  '许可项目：食品经营；道路货物运输（不含危险货物）；建设工程施工；',
  '企业管理咨询；市场营销策划；会议及展览服务；广告设计、代理；广告制作；广告发布；组织文化艺术交流活动；',
  '日用百货销售；五金产品批发；五金产品零售；电子产品销售；机械设备销售；建筑材料销售；服装服饰零售；化妆品零售；办公用品销售；家用电器销售；',
  '物业管理；住房租赁；非居住房地产租赁；停车场服务；劳务服务（不含劳务派遣）；专业设计服务；工程和技术研究和试验发展；',
  '货物进出口；技术进出口；进出口代理；餐饮管理；网络技术服务；计算机系统服务；数据处理和存储支持服务；信息技术咨询服务；',
  '一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；人工智能应用软件开发；信息系统集成服务',
  '（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。',
  // Entity types (类型) and registered capital (注册资本).
  '个人独资企业普通合伙企业有限合伙企业个体工商户农民专业合作社股份有限公司（上市）股份有限公司（非上市、自然人投资或控股）',
  '有限责任公司（非自然人投资或控股的法人独资）有限责任公司（外商投资、非独资）有限责任公司（自然人独资）有限责任公司（自然人投资或控股）',
  '万美元万元人民币',
  // Name words and the issuing bureaus.
  '贸易实业集团发展商贸电子商务文化传媒建设工程餐饮管理食品网络科技信息技术有限公司分公司',
  '行政审批局市场监督管理局',
  // Identifiers and URLs.
  'http://localhost:8787https://elicence.gov.cn:authorities:/status//revocation/1/suspension/1',
  // Protected headers (ES256 first: EdDSA is the default and so nearer the data).
  '{"alg":"ES256","kid":"","typ":"vc+jwt","cty":"vc"}',
  '{"alg":"EdDSA","kid":"',
  '","typ":"vc+jwt","cty":"vc"}',
  // The credential skeleton, in the member order of docs/credential-format.md.
  '"supersedes":"urn:uuid:',
  '","licenceNumber":"JY","operatorName":"","legalRepresentative":"","premisesAddress":"","mainBusinessFormat":"","businessItems":["","',
  '","name":"","entityType":"","legalRepresentative":"","registeredCapital":"","establishedOn":"20","address":"","businessScope":"',
  '{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:uuid:0',
  '","type":["VerifiableCredential","FoodBusinessLicence"],"issuer":{"id":"did:web:',
  '","type":["VerifiableCredential","BusinessLicence"],"issuer":{"id":"did:web:',
  '","name":"',
  '"},"validFrom":"20',
  'T00:00:00Z","validUntil":"20',
  'T00:00:00Z","credentialSubject":{"id":"urn:uscc:91330',
  '"},"credentialStatus":[{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"',
  '","statusListCredential":"https://',
  '/revocation/1"},{"type":"BitstringStatusListEntry","statusPurpose":"suspension","statusListIndex":"',
  '/suspension/1"}],"iat":17',
]);

/** The dictionary bytes (UTF-8 of the entries concatenated); internal, never handed out to be mutated. */
export const QR_DICTIONARY: Uint8Array = utf8(QR_DICTIONARY_ENTRIES.join(''));

/** A copy of the dictionary bytes, for tests and other implementations' tooling. */
export function qrDictionaryBytes(): Uint8Array {
  return QR_DICTIONARY.slice();
}
