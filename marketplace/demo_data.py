"""Deterministic demo data for the ShareFab marketplace: Chinese factories, buyers and lenders.

`generate_demo_companies()` returns 200 suppliers, 40 buyers (six of them from Germany, the
United States and Japan) and 3 lenders, spread over real Chinese manufacturing clusters and
weighted toward the big ones. Every Chinese company has a valid unified social credit code
(GB 32100-2015) built on its city's real administrative division code.

The module is pure: standard library only, no Flask or SQLAlchemy. All randomness comes from one
`random.Random(seed)`, walked over tuples and insertion-ordered dicts, never over sets or `hash()`
values, and nothing reads the clock, so a seed gives identical output on every run and machine.

Companies and people are fictional; the clusters, division codes, coordinates and specialties
are real.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, replace

from marketplace.uscc import CODE_ALPHABET, make_uscc

DEMO_PASSWORD = "sharefab-demo"
OPERATOR_EMAIL = "operator@demo.sharefab.cn"
DEMO_EMAIL_DOMAIN = "demo.sharefab.cn"

SUPPLIER_COUNT = 200
BUYER_COUNT = 40
LENDER_COUNT = 3

# The fixed sign-ins of the demo: the owners of the first supplier, buyer and lender.
FIXED_OWNER_EMAILS = {
    "supplier-001": "supplier@demo.sharefab.cn",
    "buyer-001": "buyer@demo.sharefab.cn",
    "lender-001": "lender@demo.sharefab.cn",
}

STANDARDS = ("ISO 9001", "IATF 16949", "AS9100", "ISO 13485", "ISO 14001", "ISO 45001")

Pair = tuple[str, str]  # (Chinese, English)


# --- The data set's records -----------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A real Chinese manufacturing cluster (a prefecture-level or county-level city)."""

    province_zh: str
    province_en: str
    city_zh: str
    city_en: str
    division_code: str  # GB/T 2260 administrative division code of the city
    latitude: float
    longitude: float
    specialties: tuple[str, ...]  # keys of SPECIALTIES, the best-known first


@dataclass(frozen=True)
class DemoCertification:
    standard: str  # one of STANDARDS
    certificate_number: str
    valid_until: datetime.date
    issued_by: str = ""


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    preferred_language: str  # "zh_CN" or "en"
    role: str  # "owner" or "member"


@dataclass(frozen=True)
class DemoCompany:
    key: str  # stable slug, e.g. "supplier-001"
    legal_name: str
    english_name: str
    country: str  # ISO 3166-1 alpha-2
    registration_number: str
    province: str
    city: str
    address: str
    roles: tuple[str, ...]  # subset of ("buyer", "supplier", "lender")
    description: str  # Chinese, then English
    verified: bool
    founded_year: int
    employees: int
    certifications: tuple[DemoCertification, ...]
    users: tuple[DemoUser, ...]  # the owner first
    specialties: tuple[str, ...] = ()  # suppliers: their processes, keys of SPECIALTIES


# --- Records of the tables below ------------------------------------------------------------


@dataclass(frozen=True)
class Specialty:
    """A manufacturing process with the words a factory of that kind uses about itself."""

    key: str
    process: Pair  # what the shop does
    name_parts: tuple[Pair, ...]  # industry part of a company name, e.g. 五金制品 / Hardware
    machines: tuple[Pair, ...]
    materials: tuple[Pair, ...]
    industries: tuple[Pair, ...]  # industries served


@dataclass(frozen=True)
class BuyerIndustry:
    name_part: Pair  # industry part of the company name
    products: Pair  # what the buyer makes
    purchases: Pair  # what the buyer sources on the platform


@dataclass(frozen=True)
class ForeignBuyer:
    legal_name: str
    country: str
    region: str
    city: str
    address: str
    description: str
    founded_year: int
    employees: int


@dataclass(frozen=True)
class LenderSeed:
    city_en: str
    legal_name: str
    english_name: str
    address: str
    description: str
    founded_year: int
    employees: int


@dataclass(frozen=True)
class FixedSupplier:
    """What is fixed about a supplier whatever the seed."""

    specialty: str
    brand: Pair
    name_part: Pair
    industry: Pair  # always among the industries served
    standards: tuple[str, ...]


# --- Tables ---------------------------------------------------------------------------------
# fmt: off

CLUSTERS: tuple[Cluster, ...] = (
    Cluster("广东省", "Guangdong", "东莞市", "Dongguan", "441900", 23.0207, 113.7518,
            ("cnc machining", "moulds", "electronics assembly", "injection molding",
             "hardware", "die casting", "sheet metal")),
    Cluster("广东省", "Guangdong", "深圳市", "Shenzhen", "440300", 22.5431, 114.0579,
            ("electronics assembly", "cnc machining", "3d printing", "injection molding",
             "sheet metal", "stamping")),
    Cluster("广东省", "Guangdong", "佛山市", "Foshan", "440600", 23.0215, 113.1214,
            ("die casting", "aluminium extrusion", "hardware", "sheet metal", "stamping")),
    Cluster("广东省", "Guangdong", "中山市", "Zhongshan", "442000", 22.5176, 113.3926,
            ("electrical components", "die casting", "hardware", "stamping")),
    Cluster("广东省", "Guangdong", "江门市", "Jiangmen", "440700", 22.5787, 113.0819,
            ("hardware", "stamping", "sheet metal", "die casting")),
    Cluster("广东省", "Guangdong", "广州市", "Guangzhou", "440100", 23.1291, 113.2644,
            ("auto parts", "stamping", "injection molding", "sheet metal")),
    Cluster("浙江省", "Zhejiang", "宁波市", "Ningbo", "330200", 29.8683, 121.5440,
            ("moulds", "injection molding", "die casting", "auto parts", "fasteners",
             "cnc machining")),
    Cluster("浙江省", "Zhejiang", "余姚市", "Yuyao", "330281", 30.0372, 121.1546,
            ("moulds", "injection molding", "electrical components", "3d printing")),
    Cluster("浙江省", "Zhejiang", "温州市", "Wenzhou", "330300", 27.9939, 120.6994,
            ("valves", "electrical components", "pumps", "fasteners", "castings")),
    Cluster("浙江省", "Zhejiang", "台州市", "Taizhou", "331000", 28.6564, 121.4208,
            ("moulds", "pumps", "valves", "auto parts", "injection molding")),
    Cluster("浙江省", "Zhejiang", "杭州市", "Hangzhou", "330100", 30.2741, 120.1551,
            ("cnc machining", "auto parts", "electronics assembly", "3d printing")),
    Cluster("浙江省", "Zhejiang", "永康市", "Yongkang", "330784", 28.8884, 120.0476,
            ("hardware", "die casting", "stamping")),
    Cluster("江苏省", "Jiangsu", "苏州市", "Suzhou", "320500", 31.2990, 120.5853,
            ("electronics assembly", "cnc machining", "sheet metal", "stamping", "3d printing")),
    Cluster("江苏省", "Jiangsu", "昆山市", "Kunshan", "320583", 31.3856, 120.9807,
            ("electronics assembly", "cnc machining", "moulds", "stamping")),
    Cluster("江苏省", "Jiangsu", "无锡市", "Wuxi", "320200", 31.4912, 120.3119,
            ("cnc machining", "forging", "auto parts", "sheet metal")),
    Cluster("江苏省", "Jiangsu", "常州市", "Changzhou", "320400", 31.8107, 119.9740,
            ("auto parts", "cnc machining", "forging", "sheet metal")),
    Cluster("上海市", "Shanghai", "上海市", "Shanghai", "310000", 31.2304, 121.4737,
            ("cnc machining", "auto parts", "3d printing", "electronics assembly",
             "sheet metal")),
    Cluster("山东省", "Shandong", "青岛市", "Qingdao", "370200", 36.0671, 120.3826,
            ("castings", "forging", "sheet metal", "injection molding", "auto parts")),
    Cluster("天津市", "Tianjin", "天津市", "Tianjin", "120000", 39.0842, 117.2009,
            ("auto parts", "forging", "cnc machining", "fasteners", "sheet metal")),
    Cluster("福建省", "Fujian", "厦门市", "Xiamen", "350200", 24.4798, 118.0894,
            ("electronics assembly", "injection molding", "hardware", "die casting")),
    Cluster("重庆市", "Chongqing", "重庆市", "Chongqing", "500000", 29.5630, 106.5516,
            ("auto parts", "die casting", "forging", "cnc machining")),
    Cluster("四川省", "Sichuan", "成都市", "Chengdu", "510100", 30.5728, 104.0668,
            ("cnc machining", "aerospace parts", "sheet metal", "electronics assembly")),
    Cluster("湖北省", "Hubei", "武汉市", "Wuhan", "420100", 30.5928, 114.3055,
            ("auto parts", "stamping", "castings")),
    Cluster("陕西省", "Shaanxi", "西安市", "Xi'an", "610100", 34.3416, 108.9398,
            ("aerospace parts", "cnc machining", "forging")),
)

# Relative size of each cluster on the platform; suppliers are allocated in proportion.
CLUSTER_WEIGHTS: dict[str, int] = {
    "Dongguan": 22, "Shenzhen": 18, "Foshan": 12, "Zhongshan": 6, "Jiangmen": 5,
    "Guangzhou": 6, "Ningbo": 14, "Yuyao": 8, "Wenzhou": 10, "Taizhou": 8, "Hangzhou": 7,
    "Yongkang": 4, "Suzhou": 13, "Kunshan": 7, "Wuxi": 7, "Changzhou": 6, "Shanghai": 8,
    "Qingdao": 7, "Tianjin": 6, "Xiamen": 6, "Chongqing": 8, "Chengdu": 5, "Wuhan": 4,
    "Xi'an": 3,
}

# Industrial towns or districts and their roads, per cluster; a house number is appended.
STREETS: dict[str, tuple[str, ...]] = {
    "Dongguan": ("长安镇振安中路", "长安镇长青南路", "虎门镇连升中路", "大朗镇美景中路",
                 "塘厦镇环市东路", "松山湖园区工业西路", "厚街镇康乐南路", "清溪镇香芒东路"),
    "Shenzhen": ("宝安区沙井街道新沙路", "宝安区福海街道福园一路", "宝安区石岩街道塘头大道",
                 "龙岗区坂田街道雪岗路", "龙华区观澜街道观光路", "光明区公明街道松白路"),
    "Foshan": ("南海区狮山镇兴业北路", "顺德区北滘镇林上路", "南海区大沥镇广佛路",
               "顺德区容桂街道容奇大道", "南海区里水镇和顺大道", "禅城区张槎街道古新路"),
    "Zhongshan": ("古镇镇中兴大道", "小榄镇升平中路", "火炬开发区港义路", "东凤镇东阜一路",
                  "南头镇南头大道西", "坦洲镇界狮南路"),
    "Jiangmen": ("蓬江区棠下镇堡棠路", "新会区今古洲大道", "鹤山市共和镇共和大道",
                 "江海区高新东路", "开平市水口镇水口大道"),
    "Guangzhou": ("番禺区石碁镇市莲路", "花都区新华街道风神大道", "黄埔区科学大道",
                  "增城区新塘镇新塘大道", "南沙区黄阁镇黄阁大道"),
    "Ningbo": ("北仑区新碶街道明州路", "北仑区小港街道渡口南路", "鄞州区首南街道天童南路",
               "江北区长兴路", "海曙区集士港镇翠柏路", "镇海区骆驼街道荣吉路",
               "宁海县桃源街道兴工路"),
    "Yuyao": ("阳明街道舜宇路", "兰江街道谭家岭东路", "凤山街道城东北路", "泗门镇光明北路",
              "马渚镇开元路"),
    "Wenzhou": ("永嘉县瓯北街道双塔路", "龙湾区永中街道永宁西路", "乐清市柳市镇柳青南路",
                "瓯海区娄桥街道古岸头路", "瑞安市塘下镇塘下大道", "乐清市北白象镇磐石路"),
    "Taizhou": ("黄岩区北城街道劳动北路", "黄岩区新前街道新江路", "温岭市大溪镇大洋城路",
                "温岭市泽国镇文昌路", "玉环市珠港镇机电路", "路桥区峰江街道峰江路"),
    "Hangzhou": ("萧山区经济技术开发区建设一路", "钱塘区下沙街道11号大街",
                 "滨江区长河街道江虹路", "余杭区仁和街道仁河大道", "富阳区银湖街道富闲路"),
    "Yongkang": ("经济开发区九铃东路", "东城街道金城路", "江南街道南苑路", "象珠镇象珠大道"),
    "Suzhou": ("工业园区苏虹东路", "工业园区星湖街", "吴中区木渎镇金枫南路",
               "相城区黄埭镇春兴路", "吴江区松陵街道江兴东路", "高新区科灵路"),
    "Kunshan": ("开发区前进东路", "开发区黄浦江南路", "周市镇青阳北路", "张浦镇俱进路",
                "陆家镇陆丰西路"),
    "Wuxi": ("新吴区长江路", "新吴区新华路", "惠山区堰新路", "锡山区东港镇东港大道",
             "滨湖区胡埭镇马鞍山路"),
    "Changzhou": ("武进区常武中路", "新北区通江中路", "新北区黄河西路", "天宁区青洋北路",
                  "金坛区华城路"),
    "Shanghai": ("嘉定区安亭镇墨玉路", "松江区九亭镇涞寅路", "闵行区莘庄工业区春东路",
                 "青浦区华新镇华腾路", "浦东新区金桥镇金海路", "宝山区罗店镇美丰路"),
    "Qingdao": ("黄岛区江山中路", "城阳区春阳路", "李沧区九水东路", "崂山区株洲路",
                "即墨区蓝村街道蓝鳌路", "胶州市胶北街道三里河路"),
    "Tianjin": ("滨海新区经济技术开发区第三大街", "西青区赛达大道", "北辰区景丽路",
                "东丽区航天路", "武清区京滨工业园京滨大道"),
    "Xiamen": ("集美区杏林湾路", "海沧区新阳街道新光路", "同安区西柯街道美溪道",
               "翔安区舫山南路", "湖里区嘉禾路"),
    "Chongqing": ("九龙坡区西彭镇铝城大道", "璧山区璧泉街道剑山路", "江津区双福街道双福大道",
                  "渝北区双凤桥街道空港大道", "长寿区晏家街道齐心大道"),
    "Chengdu": ("龙泉驿区车城东七路", "新都区新工大道", "双流区西航港大道", "郫都区红光大道",
                "高新区合作路"),
    "Wuhan": ("经济技术开发区东风大道", "经济技术开发区车城大道", "江夏区庙山大道",
              "东西湖区金山大道", "蔡甸区常福工业园福城大道"),
    "Xi'an": ("阎良区航空基地蓝天路", "高新区锦业路", "经济技术开发区草滩六路",
              "未央区凤城十二路"),
}

SPECIALTIES: tuple[Specialty, ...] = (
    Specialty(
        "cnc machining", ("数控加工", "CNC machining"),
        (("精密机械", "Precision Machinery"), ("数控科技", "CNC Technology"),
         ("精密五金", "Precision Hardware")),
        (("五轴加工中心", "5-axis machining centres"),
         ("立式加工中心", "vertical machining centres"),
         ("车铣复合机床", "mill-turn centres"), ("走心机", "Swiss-type lathes")),
        (("铝合金6061/7075", "aluminium 6061/7075"), ("不锈钢304/316", "stainless steel 304/316"),
         ("45#钢", "C45 steel"), ("钛合金TC4", "titanium TC4"), ("黄铜", "brass"), ("POM", "POM")),
        (("汽车", "automotive"), ("医疗器械", "medical devices"),
         ("自动化设备", "automation equipment"), ("半导体设备", "semiconductor equipment"),
         ("机器人", "robotics")),
    ),
    Specialty(
        "injection molding", ("注塑成型", "injection molding"),
        (("塑胶制品", "Plastic Products"), ("注塑科技", "Injection Molding Technology")),
        (("海天注塑机", "Haitian injection presses"), ("全电动注塑机", "all-electric presses"),
         ("双色注塑机", "two-shot presses")),
        (("ABS", "ABS"), ("PC", "PC"), ("PA66+GF30", "PA66-GF30"), ("PP", "PP"), ("TPE", "TPE"),
         ("PBT", "PBT")),
        (("家电", "home appliances"), ("消费电子", "consumer electronics"),
         ("医疗器械", "medical devices"), ("汽车", "automotive")),
    ),
    Specialty(
        "die casting", ("压铸", "die casting"),
        (("压铸", "Die Casting"), ("金属制品", "Metal Products")),
        (("冷室压铸机", "cold-chamber die-casting machines"),
         ("热室压铸机", "hot-chamber die-casting machines"),
         ("数控加工中心", "CNC machining centres")),
        (("ADC12铝合金", "ADC12 aluminium"), ("A380铝合金", "A380 aluminium"),
         ("锌合金", "zinc alloy (Zamak)"), ("AZ91D镁合金", "AZ91D magnesium")),
        (("汽车", "automotive"), ("新能源汽车", "new-energy vehicles"),
         ("通信设备", "telecom equipment"), ("灯饰", "lighting")),
    ),
    Specialty(
        "sheet metal", ("钣金加工", "sheet metal fabrication"),
        (("钣金制品", "Sheet Metal Products"), ("机箱机柜", "Enclosure")),
        (("光纤激光切割机", "fibre laser cutters"), ("数控折弯机", "CNC press brakes"),
         ("数控转塔冲床", "CNC turret punches"), ("机器人焊接工作站", "robotic welding cells")),
        (("冷轧板SPCC", "cold-rolled steel SPCC"), ("镀锌板SGCC", "galvanised steel SGCC"),
         ("不锈钢304", "stainless steel 304"), ("铝板5052", "aluminium 5052")),
        (("电力设备", "power equipment"), ("通信设备", "telecom equipment"),
         ("储能", "energy storage"), ("自动化设备", "automation equipment")),
    ),
    Specialty(
        "electronics assembly", ("电子组装(SMT/PCBA)", "electronics assembly (SMT/PCBA)"),
        (("电子科技", "Electronic Technology"), ("电子", "Electronics")),
        (("SMT贴片线", "SMT lines"), ("波峰焊", "wave-soldering lines"),
         ("AOI检测设备", "AOI inspection systems")),
        (("FR-4电路板", "FR-4 boards"), ("铝基板", "metal-core boards"),
         ("柔性电路板", "flexible circuits")),
        (("消费电子", "consumer electronics"), ("智能家居", "smart home"),
         ("医疗器械", "medical devices"), ("工业控制", "industrial control")),
    ),
    Specialty(
        "moulds", ("模具设计与制造", "mould making"),
        (("模具", "Mould"), ("模塑", "Moulding")),
        (("慢走丝线切割", "wire EDM machines"), ("镜面火花机", "mirror EDM machines"),
         ("高速铣", "high-speed milling centres")),
        (("P20", "P20"), ("H13", "H13"), ("S136", "S136"), ("NAK80", "NAK80"), ("718H", "718H")),
        (("汽车", "automotive"), ("家电", "home appliances"), ("日用品", "household goods"),
         ("医疗器械", "medical devices")),
    ),
    Specialty(
        "valves", ("阀门制造", "valve manufacturing"),
        (("阀门", "Valve"), ("流体控制", "Fluid Control")),
        (("数控车床", "CNC lathes"), ("阀门试压台", "valve pressure-test benches"),
         ("自动堆焊机", "automatic hardfacing welders")),
        (("不锈钢CF8M", "stainless steel CF8M"), ("碳钢WCB", "carbon steel WCB"),
         ("球墨铸铁", "ductile iron"), ("黄铜", "brass")),
        (("石油化工", "petrochemicals"), ("水务", "water utilities"), ("暖通", "HVAC"),
         ("船舶", "shipbuilding")),
    ),
    Specialty(
        "auto parts", ("汽车零部件制造", "auto parts manufacturing"),
        (("汽车零部件", "Auto Parts"), ("汽配", "Auto Fittings")),
        (("机器人焊接线", "robotic welding lines"), ("数控加工线", "CNC machining lines"),
         ("三坐标测量机", "CMMs")),
        (("高强度钢", "high-strength steel"), ("铝合金", "aluminium alloy"),
         ("球墨铸铁", "ductile iron"), ("40Cr合金钢", "40Cr alloy steel")),
        (("乘用车", "passenger cars"), ("商用车", "commercial vehicles"),
         ("新能源汽车", "new-energy vehicles"), ("摩托车", "motorcycles")),
    ),
    Specialty(
        "3d printing", ("3D打印", "3D printing"),
        (("增材制造", "Additive Manufacturing"), ("三维科技", "3D Technology")),
        (("金属SLM打印机", "metal SLM printers"), ("SLA光固化打印机", "SLA printers"),
         ("MJF尼龙打印机", "MJF nylon printers")),
        (("316L不锈钢", "316L stainless steel"), ("钛合金TC4", "titanium TC4"),
         ("光敏树脂", "photopolymer resin"), ("PA12尼龙", "PA12 nylon")),
        (("医疗器械", "medical devices"), ("航空航天", "aerospace"),
         ("产品开发", "product development"), ("模具", "tooling")),
    ),
    Specialty(
        "stamping", ("五金冲压", "metal stamping"),
        (("五金冲压", "Metal Stamping"), ("冲压件", "Stamping Parts")),
        (("高速冲床", "high-speed presses"), ("级进模冲压线", "progressive-die lines"),
         ("伺服压力机", "servo presses")),
        (("冷轧板SPCC", "cold-rolled steel SPCC"), ("不锈钢301", "stainless steel 301"),
         ("磷青铜", "phosphor bronze"), ("铝5052", "aluminium 5052")),
        (("汽车", "automotive"), ("家电", "home appliances"),
         ("消费电子", "consumer electronics"), ("电力设备", "power equipment")),
    ),
    Specialty(
        "hardware", ("五金制品", "hardware"),
        (("五金制品", "Hardware Products"), ("五金", "Hardware")),
        (("数控车床", "CNC lathes"), ("自动抛光线", "automatic polishing lines"),
         ("电镀线", "plating lines")),
        (("不锈钢304", "stainless steel 304"), ("锌合金", "zinc alloy"), ("黄铜", "brass"),
         ("碳钢", "carbon steel")),
        (("家具", "furniture"), ("卫浴", "bathroom fittings"), ("建筑", "construction"),
         ("厨具", "kitchenware")),
    ),
    Specialty(
        "forging", ("锻造", "forging"),
        (("锻造", "Forging"), ("锻件", "Forgings")),
        (("热模锻压力机", "hot die-forging presses"), ("电液锤", "electro-hydraulic hammers"),
         ("辗环机", "ring-rolling mills")),
        (("42CrMo", "42CrMo"), ("45#钢", "C45 steel"), ("铝合金6082", "aluminium 6082"),
         ("不锈钢F316", "stainless steel F316")),
        (("工程机械", "construction machinery"), ("汽车", "automotive"),
         ("风电", "wind power"), ("石油化工", "petrochemicals")),
    ),
    Specialty(
        "pumps", ("泵类制造", "pump manufacturing"),
        (("泵业", "Pump"), ("水泵", "Water Pump")),
        (("数控车床", "CNC lathes"), ("动平衡机", "dynamic balancing machines"),
         ("泵性能测试台", "pump test rigs")),
        (("铸铁HT200", "cast iron HT200"), ("不锈钢304", "stainless steel 304"),
         ("锡青铜", "tin bronze")),
        (("农业灌溉", "irrigation"), ("水务", "water utilities"), ("暖通", "HVAC")),
    ),
    Specialty(
        "electrical components", ("低压电器与电气元件", "low-voltage electrical components"),
        (("电器", "Electric"), ("电气", "Electrical")),
        (("自动装配线", "automated assembly lines"), ("注塑机", "injection presses"),
         ("高速冲床", "high-speed presses")),
        (("黄铜", "brass"), ("银合金触点", "silver-alloy contacts"), ("PA66", "PA66"),
         ("阻燃PC", "flame-retardant PC")),
        (("电力设备", "power equipment"), ("建筑", "construction"), ("光伏", "solar power"),
         ("工业控制", "industrial control")),
    ),
    Specialty(
        "aluminium extrusion", ("铝型材挤压", "aluminium extrusion"),
        (("铝业", "Aluminium"), ("铝型材", "Aluminium Profile")),
        (("铝型材挤压机", "extrusion presses"), ("阳极氧化线", "anodising lines"),
         ("粉末喷涂线", "powder-coating lines")),
        (("6063-T5", "6063-T5"), ("6061-T6", "6061-T6"), ("6082-T6", "6082-T6")),
        (("建筑", "construction"), ("光伏", "solar power"), ("轨道交通", "rail transit"),
         ("自动化设备", "automation equipment")),
    ),
    Specialty(
        "fasteners", ("紧固件制造", "fastener manufacturing"),
        (("紧固件", "Fastener"), ("标准件", "Standard Parts")),
        (("多工位冷镦机", "multi-station cold formers"), ("搓丝机", "thread rollers"),
         ("网带热处理炉", "mesh-belt heat-treatment furnaces")),
        (("10.9级合金钢", "grade 10.9 alloy steel"), ("A2/A4不锈钢", "A2/A4 stainless steel"),
         ("碳钢", "carbon steel")),
        (("汽车", "automotive"), ("建筑", "construction"), ("风电", "wind power"),
         ("工程机械", "construction machinery")),
    ),
    Specialty(
        "castings", ("铸造", "casting"),
        (("铸造", "Foundry"), ("精密铸造", "Precision Casting")),
        (("消失模铸造线", "lost-foam casting lines"),
         ("硅溶胶精铸线", "investment-casting lines"), ("中频感应炉", "induction furnaces")),
        (("灰铸铁HT250", "grey iron HT250"), ("球墨铸铁QT450", "ductile iron QT450"),
         ("铸钢ZG270", "cast steel ZG270")),
        (("工程机械", "construction machinery"), ("泵阀", "pumps and valves"),
         ("农机", "agricultural machinery")),
    ),
    Specialty(
        "aerospace parts", ("航空零部件加工", "aerospace machining"),
        (("航空零部件", "Aviation Parts"), ("航空科技", "Aviation Technology")),
        (("五轴联动加工中心", "simultaneous 5-axis machining centres"), ("三坐标测量机", "CMMs"),
         ("真空热处理炉", "vacuum heat-treatment furnaces")),
        (("钛合金TC4", "titanium TC4"), ("铝合金7075-T6", "aluminium 7075-T6"),
         ("高温合金GH4169", "superalloy GH4169 (Inconel 718)")),
        (("航空航天", "aerospace"), ("无人机", "drones"), ("燃气轮机", "gas turbines")),
    ),
)

# Industries served that make IATF 16949 likely.
AUTOMOTIVE_INDUSTRIES = ("automotive", "passenger cars", "commercial vehicles",
                         "new-energy vehicles", "motorcycles")

# Brand names are two characters, a head and a tail, as in 精创 (Jingchuang).
BRAND_HEADS: tuple[Pair, ...] = (
    ("精", "Jing"), ("恒", "Heng"), ("宏", "Hong"), ("鑫", "Xin"), ("华", "Hua"), ("永", "Yong"),
    ("嘉", "Jia"), ("瑞", "Rui"), ("德", "De"), ("振", "Zhen"), ("盛", "Sheng"), ("立", "Li"),
    ("佳", "Jia"), ("铭", "Ming"), ("腾", "Teng"), ("博", "Bo"), ("凯", "Kai"), ("宇", "Yu"),
    ("汇", "Hui"), ("金", "Jin"), ("长", "Chang"), ("远", "Yuan"), ("天", "Tian"), ("中", "Zhong"),
)
BRAND_TAILS: tuple[Pair, ...] = (
    ("创", "chuang"), ("泰", "tai"), ("达", "da"), ("丰", "feng"), ("源", "yuan"), ("诚", "cheng"),
    ("隆", "long"), ("捷", "jie"), ("锐", "rui"), ("拓", "tuo"), ("昌", "chang"), ("辉", "hui"),
    ("耀", "yao"), ("荣", "rong"), ("通", "tong"), ("升", "sheng"), ("力", "li"), ("成", "cheng"),
    ("利", "li"), ("威", "wei"), ("邦", "bang"), ("精", "jing"), ("科", "ke"), ("宸", "chen"),
)

# Common Chinese surnames, roughly in order of frequency, with their pinyin.
SURNAMES: tuple[Pair, ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"),
    ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"), ("叶", "Ye"), ("杜", "Du"),
    ("程", "Cheng"), ("魏", "Wei"), ("苏", "Su"), ("吕", "Lyu"), ("沈", "Shen"), ("钟", "Zhong"),
    ("卢", "Lu"), ("姚", "Yao"), ("陆", "Lu"), ("方", "Fang"), ("金", "Jin"), ("邱", "Qiu"),
)
SURNAME_WEIGHTS = tuple(max(1, 12 - position // 4) for position in range(len(SURNAMES)))

GIVEN_NAMES: tuple[str, ...] = (
    "伟", "芳", "敏", "静", "磊", "强", "军", "洋", "勇", "杰", "涛", "超", "明", "霞", "刚",
    "建华", "志强", "晓东", "海燕", "建国", "丽娟", "文杰", "浩然", "俊杰", "思远", "雨欣",
    "宇航", "嘉怡", "梓涵", "欣怡", "明辉", "振华", "春梅", "永刚", "海波", "晓明", "国平",
    "秀兰", "志伟", "婷婷", "立新", "红梅", "建军", "子豪", "慧敏", "亚楠",
)
# English names that sales and engineering staff of export-minded factories often go by.
ENGLISH_GIVEN_NAMES: tuple[str, ...] = (
    "Kevin", "Jason", "Tony", "Eric", "Jack", "Leo", "Vincent", "Frank", "Cherry", "Lily",
    "Vivian", "Amy", "Grace", "Sunny", "Coco", "Alan",
)

# Local parts of the members' emails, by the company's main role.
MEMBER_MAILBOXES: dict[str, tuple[str, ...]] = {
    "supplier": ("sales", "engineering", "quality"),
    "buyer": ("purchasing", "engineering", "quality"),
    "lender": ("credit", "risk"),
}

# Certification bodies active in China.
CERTIFICATION_BODIES = ("CQC", "SGS", "TÜV SÜD", "TÜV Rheinland", "BSI", "DNV",
                        "Bureau Veritas", "Intertek")

BUYER_INDUSTRIES: tuple[BuyerIndustry, ...] = (
    BuyerIndustry(("智能装备", "Intelligent Equipment"),
                  ("自动化生产线和非标设备", "automated production lines and special machines"),
                  ("数控加工件、钣金机架和焊接件",
                   "machined parts, sheet-metal frames and weldments")),
    BuyerIndustry(("机器人", "Robotics"),
                  ("工业机器人和协作机器人", "industrial and collaborative robots"),
                  ("精密铝合金结构件、减速器壳体和线束",
                   "precision aluminium structures, reducer housings and wire harnesses")),
    BuyerIndustry(("医疗器械", "Medical Devices"),
                  ("输液泵和监护设备", "infusion pumps and patient monitors"),
                  ("医用级注塑件、不锈钢机加工件和PCBA",
                   "medical-grade mouldings, stainless machined parts and PCBAs")),
    BuyerIndustry(("新能源科技", "New Energy Technology"),
                  ("储能柜和充电桩", "energy-storage cabinets and EV chargers"),
                  ("钣金柜体、铜排和压铸散热器",
                   "sheet-metal enclosures, copper busbars and die-cast heat sinks")),
    BuyerIndustry(("电器", "Electric Appliance"),
                  ("厨房小家电", "small kitchen appliances"),
                  ("注塑外壳、冲压件和电机支架",
                   "moulded housings, stampings and motor brackets")),
    BuyerIndustry(("汽车科技", "Automotive Technology"),
                  ("新能源汽车热管理系统", "thermal-management systems for electric vehicles"),
                  ("压铸阀体、精密车削件和密封件",
                   "die-cast valve bodies, precision turned parts and seals")),
    BuyerIndustry(("半导体设备", "Semiconductor Equipment"),
                  ("晶圆清洗和检测设备", "wafer cleaning and inspection tools"),
                  ("高精度铝合金腔体、不锈钢焊接件和PEEK零件",
                   "precision aluminium chambers, stainless weldments and PEEK parts")),
    BuyerIndustry(("包装机械", "Packaging Machinery"),
                  ("灌装和包装设备", "filling and packaging machines"),
                  ("不锈钢机加工件、钣金防护罩和齿轮",
                   "stainless machined parts, sheet-metal guards and gears")),
    BuyerIndustry(("电动工具", "Power Tools"),
                  ("锂电电动工具", "cordless power tools"),
                  ("锌铝压铸齿轮箱、注塑外壳和冲压件",
                   "die-cast gearboxes, moulded housings and stampings")),
    BuyerIndustry(("无人机科技", "UAV Technology"),
                  ("工业无人机", "industrial drones"),
                  ("碳纤维件、CNC铝件和3D打印原型",
                   "carbon-fibre parts, machined aluminium parts and 3D-printed prototypes")),
    BuyerIndustry(("智能家居", "Smart Home"),
                  ("智能门锁和安防摄像头", "smart locks and security cameras"),
                  ("锌合金压铸面板、注塑件和PCBA",
                   "zinc die-cast face plates, mouldings and PCBAs")),
)

FOREIGN_BUYERS: tuple[ForeignBuyer, ...] = (
    ForeignBuyer("Kessler Antriebstechnik GmbH", "DE", "Baden-Württemberg", "Stuttgart",
                 "Motorstraße 42, 70499 Stuttgart",
                 "德国驱动技术企业，在中国采购精密齿轮、铝合金壳体和数控加工件。 "
                 "German drive-technology company sourcing precision gears, aluminium housings "
                 "and CNC-machined parts in China.",
                 1968, 640),
    ForeignBuyer("Auerbach Medizintechnik GmbH", "DE", "Baden-Württemberg", "Tuttlingen",
                 "Zeppelinstraße 17, 78532 Tuttlingen",
                 "德国手术器械制造商，采购不锈钢和钛合金精密零件。 "
                 "German maker of surgical instruments buying precision stainless-steel and "
                 "titanium parts.",
                 1984, 210),
    ForeignBuyer("Cascade Motion Systems, Inc.", "US", "Washington", "Redmond",
                 "15720 NE 95th St, Redmond, WA 98052",
                 "美国运动控制设备公司，采购铝合金结构件、钣金件和线束。 "
                 "US motion-control company buying aluminium structures, sheet-metal parts and "
                 "cable assemblies.",
                 2006, 180),
    ForeignBuyer("Bayline Instruments Inc.", "US", "California", "San Jose",
                 "1840 Zanker Rd, San Jose, CA 95112",
                 "美国分析仪器企业，采购注塑外壳、PCBA和精密机加工件。 "
                 "US analytical-instrument company sourcing moulded enclosures, PCBAs and "
                 "precision machined parts.",
                 1997, 420),
    ForeignBuyer("Kawanishi Precision Co., Ltd.", "JP", "Aichi", "Kariya",
                 "3-8-12 Aioi-cho, Kariya, Aichi 448-0027",
                 "日本汽车零部件一级供应商，在华采购压铸件、冲压件和紧固件。 "
                 "Japanese tier-1 automotive supplier buying die castings, stampings and "
                 "fasteners in China.",
                 1958, 2300),
    ForeignBuyer("Minato Robotics Co., Ltd.", "JP", "Kanagawa", "Yokohama",
                 "2-6-1 Shin-Yokohama, Kohoku-ku, Yokohama, Kanagawa 222-0033",
                 "日本机器人企业，采购减速器零件、铝合金臂架和3D打印件。 "
                 "Japanese robotics company sourcing reducer components, aluminium arms and "
                 "3D-printed parts.",
                 2011, 150),
)

# People at the foreign buyers, by country: (given names, family names).
FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DE": (("Jonas", "Katrin", "Markus", "Anna", "Stefan", "Julia"),
           ("Weber", "Hoffmann", "Schäfer", "Becker", "Wagner", "Keller")),
    "US": (("Emily", "Michael", "Sarah", "David", "Jessica", "Ryan"),
           ("Carter", "Brooks", "Nguyen", "Miller", "Patel", "Reed")),
    "JP": (("Takeshi", "Yui", "Hiroshi", "Aiko", "Kenji", "Mai"),
           ("Yamada", "Sato", "Suzuki", "Tanaka", "Kobayashi", "Ito")),
}

# First two digits of US employer identification numbers (IRS campus prefixes).
EIN_PREFIXES = ("20", "26", "27", "36", "38", "46", "47", "81", "82", "84", "86", "88", "91")

LENDERS: tuple[LenderSeed, ...] = (
    LenderSeed("Suzhou", "苏州澄湖商业银行股份有限公司",
               "Suzhou Chenghu Commercial Bank Co., Ltd.",
               "工业园区星海街188号",
               "面向长三角制造业中小企业提供订单融资、应收账款融资和设备贷款。 "
               "Purchase-order financing, receivables financing and equipment loans for small "
               "and medium manufacturers in the Yangtze River Delta.",
               2008, 2400),
    LenderSeed("Shenzhen", "深圳前湾链融商业保理有限公司",
               "Shenzhen Qianwan Lianrong Commercial Factoring Co., Ltd.",
               "南山区前海深港合作区前湾一路63号",
               "为珠三角供应商提供基于已确认订单和验收单据的保理融资。 "
               "Factoring for Pearl River Delta suppliers against confirmed orders and accepted "
               "deliveries.",
               2015, 180),
    LenderSeed("Ningbo", "宁波甬港制造融资租赁有限公司",
               "Ningbo Yonggang Manufacturing Finance Leasing Co., Ltd.",
               "鄞州区首南街道天童南路588号",
               "为工厂购置数控机床、注塑机和压铸机提供融资租赁。 "
               "Finance leases for factories buying CNC machines, injection presses and "
               "die-casting machines.",
               2012, 320),
)

# supplier-001, the demo supplier's own company: a Dongguan CNC shop working for carmakers.
FIRST_SUPPLIER = FixedSupplier("cnc machining", ("精创", "Jingchuang"),
                               ("精密机械", "Precision Machinery"), ("汽车", "automotive"),
                               ("ISO 9001", "IATF 16949"))

# fmt: on

SPECIALTY_BY_KEY: dict[str, Specialty] = {specialty.key: specialty for specialty in SPECIALTIES}


# --- Small helpers --------------------------------------------------------------------------


def find_cluster(city_en: str) -> Cluster:
    """Return the cluster of an English city name.

    Raises:
        KeyError: if there is no such cluster.
    """
    for cluster in CLUSTERS:
        if cluster.city_en == city_en:
            return cluster
    raise KeyError(city_en)


def cluster_of(company: DemoCompany) -> Cluster | None:
    """Return the cluster a Chinese demo company sits in (for its coordinates), else None."""
    if company.country != "CN":
        return None
    return next((cluster for cluster in CLUSTERS if cluster.city_zh == company.city), None)


def allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder; ties in dict order)."""
    weight_sum = sum(weights.values())
    counts = {name: total * weight // weight_sum for name, weight in weights.items()}
    by_remainder = sorted(weights, key=lambda name: -(total * weights[name] % weight_sum))
    for name in by_remainder[: total - sum(counts.values())]:
        counts[name] += 1
    return counts


def name_prefix(cluster: Cluster) -> str:
    """The place a company name starts with: 东莞市 for a city, but 上海 for a municipality."""
    if cluster.city_zh == cluster.province_zh:
        return cluster.city_zh.removesuffix("市")
    return cluster.city_zh


def join_en(items: list[str]) -> str:
    """Join words as English prose: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def japanese_corporate_number(base: str) -> str:
    """Return a 13-digit Japanese corporate number (法人番号) with its leading check digit."""
    total = sum(
        int(digit) * (1 if position % 2 else 2)
        for position, digit in enumerate(reversed(base), start=1)
    )
    return str(9 - total % 9) + base


def _unique_pairs(pairs: tuple[Pair, ...]) -> list[Pair]:
    return list(dict.fromkeys(pairs))


def _employees(rng: random.Random) -> int:
    low, high = rng.choices(((12, 50), (50, 200), (200, 800), (800, 3000)), (30, 40, 22, 8))[0]
    return rng.randint(low, high)


# --- The generator --------------------------------------------------------------------------


class _Generator:
    """Builds the companies from one random stream, keeping names and numbers unique."""

    def __init__(self, seed: int, reference_date: datetime.date) -> None:
        self.rng = random.Random(seed)
        self.today = reference_date
        self.used_names: set[str] = set()
        self.used_codes: set[str] = set()

    # Identity

    def uscc(self, cluster: Cluster, founded_year: int) -> str:
        """A fresh code; companies registered since 2016 got organization codes starting "MA"."""
        while True:
            if founded_year >= 2016:
                base = "MA" + "".join(self.rng.choice(CODE_ALPHABET) for _ in range(6))
            else:
                base = "".join(self.rng.choice("0123456789") for _ in range(8))
            code = make_uscc("9", "1", cluster.division_code, base)
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def brand(self, cluster: Cluster, name_part: Pair) -> Pair:
        """A brand not yet used with this industry in this city."""
        while True:
            head, tail = self.rng.choice(BRAND_HEADS), self.rng.choice(BRAND_TAILS)
            if head[0] == tail[0]:
                continue
            brand = (head[0] + tail[0], head[1] + tail[1])
            if cluster.city_zh + brand[0] + name_part[0] not in self.used_names:
                self.used_names.add(cluster.city_zh + brand[0] + name_part[0])
                return brand

    def address(self, cluster: Cluster) -> str:
        street = self.rng.choice(STREETS[cluster.city_en])
        low, high = self.rng.choice(((1, 99), (100, 999), (1000, 2999)))
        building = self.rng.choice(("", "", "", "1栋", "3栋", "5栋", "A座", "B座"))
        return f"{street}{self.rng.randint(low, high)}号{building}"

    def founded_year(self, earliest: int = 1993) -> int:
        return self.rng.randint(earliest, self.today.year - 3)

    # People

    def chinese_name(self) -> tuple[str, str]:
        """(Chinese name, pinyin surname)."""
        surname = self.rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        return surname[0] + self.rng.choice(GIVEN_NAMES), surname[1]

    def chinese_users(self, key: str, main_role: str) -> tuple[DemoUser, ...]:
        domain = f"{key}.{DEMO_EMAIL_DOMAIN}"
        owner_email = FIXED_OWNER_EMAILS.get(key, f"owner@{domain}")
        users = [DemoUser(owner_email, self.chinese_name()[0], "zh_CN", "owner")]
        mailboxes = MEMBER_MAILBOXES[main_role]
        for mailbox in mailboxes[: self.rng.choice((0, 1, 1, 2))]:
            name, surname_pinyin = self.chinese_name()
            if self.rng.random() < 0.15:
                users.append(
                    DemoUser(
                        f"{mailbox}@{domain}",
                        f"{self.rng.choice(ENGLISH_GIVEN_NAMES)} {surname_pinyin}",
                        "en",
                        "member",
                    )
                )
            else:
                users.append(DemoUser(f"{mailbox}@{domain}", name, "zh_CN", "member"))
        return tuple(users)

    def foreign_users(self, key: str, country: str) -> tuple[DemoUser, ...]:
        given_names, family_names = FOREIGN_NAMES[country]
        domain = f"{key}.{DEMO_EMAIL_DOMAIN}"
        mailboxes = ("owner", *MEMBER_MAILBOXES["buyer"][: self.rng.choice((0, 1, 2))])
        return tuple(
            DemoUser(
                f"{mailbox}@{domain}",
                f"{self.rng.choice(given_names)} {self.rng.choice(family_names)}",
                "en",
                "owner" if mailbox == "owner" else "member",
            )
            for mailbox in mailboxes
        )

    # Certifications

    def certification(self, standard: str, may_be_expired: bool = True) -> DemoCertification:
        if may_be_expired and self.rng.random() < 0.08:
            valid_until = self.today - datetime.timedelta(days=self.rng.randint(15, 400))
        else:
            valid_until = self.today + datetime.timedelta(days=self.rng.randint(20, 1060))
        issued = valid_until.year % 100 - 3
        serial = self.rng.randint(10000, 99999)
        if standard == "IATF 16949":
            number = f"IATF {self.rng.randint(300000, 599999):07d}"
        elif standard == "ISO 13485":
            number = f"MD{issued:02d}{serial}"
        elif standard == "AS9100":
            number = f"AS{issued:02d}-{serial}"
        else:
            letter = {"ISO 9001": "Q", "ISO 14001": "E", "ISO 45001": "S"}[standard]
            size = self.rng.choice("SML")
            registrar = self.rng.randint(1, 9)
            revision = self.rng.randint(0, 3)
            number = f"{registrar:03d}{issued:02d}{letter}{serial}R{revision}{size}"
        return DemoCertification(
            standard, number, valid_until, self.rng.choice(CERTIFICATION_BODIES)
        )

    def supplier_standards(
        self, specialties: tuple[str, ...], industries: list[str]
    ) -> tuple[str, ...]:
        """Pick standards the way factories hold them: automotive, medical and aerospace work
        brings the sector's standard; ISO 9001 is nearly universal."""
        automotive = "auto parts" in specialties or any(
            i in AUTOMOTIVE_INDUSTRIES for i in industries
        )
        if "aerospace parts" in specialties:
            aerospace = 0.7
        else:
            aerospace = 0.3 if "aerospace" in industries else 0.02
        chances = (
            ("ISO 9001", 0.85),
            ("IATF 16949", 0.65 if automotive else 0.0),
            ("ISO 13485", 0.6 if "medical devices" in industries else 0.0),
            ("AS9100", aerospace),
            ("ISO 14001", 0.4),
            ("ISO 45001", 0.25),
        )
        return tuple(standard for standard, chance in chances if self.rng.random() < chance)[:4]

    # Companies

    def supplier(
        self, number: int, cluster: Cluster, fixed: FixedSupplier | None = None
    ) -> DemoCompany:
        key = f"supplier-{number:03d}"
        if fixed:
            chosen = [SPECIALTY_BY_KEY[fixed.specialty]]
            name_part, brand = fixed.name_part, fixed.brand
            self.used_names.add(cluster.city_zh + brand[0] + name_part[0])
        else:
            chosen = self.specialties(cluster)
            name_part = self.rng.choice(chosen[0].name_parts)
            brand = self.brand(cluster, name_part)
        served = _unique_pairs(sum((s.industries for s in chosen), ()))
        industries = self.rng.sample(served, self.rng.randint(2, 3))
        if fixed and fixed.industry not in industries:
            industries[0] = fixed.industry
        specialties = tuple(s.key for s in chosen)
        if fixed:
            standards = fixed.standards
        else:
            standards = self.supplier_standards(specialties, [i[1] for i in industries])
        founded = self.founded_year()
        employees = _employees(self.rng)
        short_name = brand[0] + name_part[0]
        return DemoCompany(
            key=key,
            legal_name=f"{name_prefix(cluster)}{short_name}有限公司",
            english_name=f"{cluster.city_en} {brand[1]} {name_part[1]} Co., Ltd.",
            country="CN",
            registration_number=self.uscc(cluster, founded),
            province=cluster.province_zh,
            city=cluster.city_zh,
            address=self.address(cluster),
            roles=("supplier",),
            description=self.supplier_description(short_name, chosen, industries, employees),
            verified=fixed is not None or self.rng.random() < 0.85,
            founded_year=founded,
            employees=employees,
            certifications=tuple(self.certification(s, fixed is None) for s in standards),
            users=self.chinese_users(key, "supplier"),
            specialties=specialties,
        )

    def specialties(self, cluster: Cluster) -> list[Specialty]:
        """One of the cluster's specialties, and a second one for almost half the shops."""
        chosen = [SPECIALTY_BY_KEY[self.rng.choice(cluster.specialties)]]
        others = [key for key in cluster.specialties if key != chosen[0].key]
        if others and self.rng.random() < 0.45:
            chosen.append(SPECIALTY_BY_KEY[self.rng.choice(others)])
        return chosen

    def supplier_description(
        self, short_name: str, chosen: list[Specialty], industries: list[Pair], employees: int
    ) -> str:
        """Processes, machines (about one per six employees), materials and industries served."""
        most = max(3, min(40, employees // 6))
        machines = [
            (self.rng.randint(2, most), machine)
            for machine in self.rng.sample(chosen[0].machines, 2)
        ]
        if len(chosen) > 1:
            machines.append(
                (self.rng.randint(2, most // 2 + 1), self.rng.choice(chosen[1].machines))
            )
        materials = self.rng.sample(_unique_pairs(sum((s.materials for s in chosen), ())), 3)
        processes_zh = "和".join(s.process[0] for s in chosen)
        processes_en = join_en([s.process[1] for s in chosen])
        chinese = (
            f"{short_name}专业从事{processes_zh}，拥有"
            + "、".join(f"{count}台{machine[0]}" for count, machine in machines)
            + "。常用材料包括"
            + "、".join(m[0] for m in materials)
            + "，主要服务"
            + "、".join(i[0] for i in industries)
            + "行业客户。"
        )
        english = (
            f"{processes_en[0].upper()}{processes_en[1:]} on "
            + join_en([f"{count} × {machine[1]}" for count, machine in machines])
            + ". Typical materials are "
            + join_en([m[1] for m in materials])
            + "; customers are mainly in "
            + join_en([i[1] for i in industries])
            + "."
        )
        return f"{chinese} {english}"

    def chinese_buyer(
        self, number: int, cluster: Cluster, industry: BuyerIndustry | None = None
    ) -> DemoCompany:
        key = f"buyer-{number:03d}"
        industry = industry or self.rng.choice(BUYER_INDUSTRIES)
        brand = self.brand(cluster, industry.name_part)
        listed = self.rng.random() < 0.15
        founded = self.founded_year(1995)
        certifications = tuple(
            self.certification(standard)
            for standard, chance in (("ISO 9001", 0.7), ("ISO 14001", 0.3))
            if self.rng.random() < chance
        )
        short_name = brand[0] + industry.name_part[0]
        return DemoCompany(
            key=key,
            legal_name=f"{name_prefix(cluster)}{short_name}{'股份' if listed else ''}有限公司",
            english_name=f"{cluster.city_en} {brand[1]} {industry.name_part[1]} Co., Ltd.",
            country="CN",
            registration_number=self.uscc(cluster, founded),
            province=cluster.province_zh,
            city=cluster.city_zh,
            address=self.address(cluster),
            roles=("buyer",),
            description=(
                f"{short_name}研发和生产{industry.products[0]}，长期采购{industry.purchases[0]}。 "
                f"Designs and builds {industry.products[1]}; regularly sources "
                f"{industry.purchases[1]}."
            ),
            verified=number == 1 or self.rng.random() < 0.9,
            founded_year=founded,
            employees=_employees(self.rng) + (400 if listed else 0),
            certifications=certifications,
            users=self.chinese_users(key, "buyer"),
        )

    def foreign_buyer(self, number: int, seed: ForeignBuyer) -> DemoCompany:
        key = f"buyer-{number:03d}"
        if seed.country == "DE":
            registration = f"HRB {self.rng.randint(700000, 789999)}"
        elif seed.country == "US":
            registration = f"{self.rng.choice(EIN_PREFIXES)}-{self.rng.randint(0, 9999999):07d}"
        else:
            registration = japanese_corporate_number(f"{self.rng.randint(0, 10**12 - 1):012d}")
        return DemoCompany(
            key=key,
            legal_name=seed.legal_name,
            english_name=seed.legal_name,
            country=seed.country,
            registration_number=registration,
            province=seed.region,
            city=seed.city,
            address=seed.address,
            roles=("buyer",),
            description=seed.description,
            verified=self.rng.random() < 0.9,
            founded_year=seed.founded_year,
            employees=seed.employees,
            certifications=(self.certification("ISO 9001"),),
            users=self.foreign_users(key, seed.country),
        )

    def lender(self, number: int, seed: LenderSeed) -> DemoCompany:
        key = f"lender-{number:03d}"
        cluster = find_cluster(seed.city_en)
        return DemoCompany(
            key=key,
            legal_name=seed.legal_name,
            english_name=seed.english_name,
            country="CN",
            registration_number=self.uscc(cluster, seed.founded_year),
            province=cluster.province_zh,
            city=cluster.city_zh,
            address=seed.address,
            roles=("lender",),
            description=seed.description,
            verified=True,
            founded_year=seed.founded_year,
            employees=seed.employees,
            certifications=(),
            users=self.chinese_users(key, "lender"),
        )

    # The data set

    def suppliers(self) -> list[DemoCompany]:
        """supplier-001 is the fixed Dongguan CNC shop; the rest follow the cluster weights."""
        dongguan = find_cluster("Dongguan")
        counts = allocate(SUPPLIER_COUNT, CLUSTER_WEIGHTS)
        counts["Dongguan"] -= 1
        places = [find_cluster(city) for city, count in counts.items() for _ in range(count)]
        self.rng.shuffle(places)
        companies = [self.supplier(1, dongguan, FIRST_SUPPLIER)]
        companies += [
            self.supplier(number, cluster) for number, cluster in enumerate(places, start=2)
        ]
        # A handful of suppliers also buy parts from other suppliers.
        for index in sorted(self.rng.sample(range(1, SUPPLIER_COUNT), 8)):
            companies[index] = replace(companies[index], roles=("supplier", "buyer"))
        return companies

    def buyers(self) -> list[DemoCompany]:
        """buyer-001 is the fixed Suzhou equipment maker; six buyers come from abroad."""
        foreign_numbers = sorted(self.rng.sample(range(2, BUYER_COUNT + 1), len(FOREIGN_BUYERS)))
        foreign = dict(zip(foreign_numbers, FOREIGN_BUYERS, strict=True))
        weights = [CLUSTER_WEIGHTS[cluster.city_en] for cluster in CLUSTERS]
        companies = [self.chinese_buyer(1, find_cluster("Suzhou"), BUYER_INDUSTRIES[0])]
        for number in range(2, BUYER_COUNT + 1):
            if number in foreign:
                companies.append(self.foreign_buyer(number, foreign[number]))
            else:
                cluster = self.rng.choices(CLUSTERS, weights)[0]
                companies.append(self.chinese_buyer(number, cluster))
        return companies

    def lenders(self) -> list[DemoCompany]:
        return [self.lender(number, seed) for number, seed in enumerate(LENDERS, start=1)]


def generate_demo_companies(
    seed: int = 2026, reference_date: datetime.date = datetime.date(2026, 11, 1)
) -> list[DemoCompany]:
    """Return the demo data set: suppliers, then buyers, then lenders, each in key order.

    The same seed and reference date give the same companies, users and certificates.
    `reference_date` is "today" for certificate validity (a few certificates have expired).
    """
    generator = _Generator(seed, reference_date)
    return generator.suppliers() + generator.buyers() + generator.lenders()
